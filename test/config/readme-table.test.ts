import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsOf } from '../../src/config/setting.ts';
import { settings } from '../../src/config/settings.ts';

const declared = settingsOf(settings);

/** A README table row, exactly as it should read for one setting. */
const row = (variable: string, readmeDefault: string, meaning: string) => `| \`${variable}\` | ${readmeDefault} | ${meaning} |`;

/**
 * The rows of the table in README.md's "## Configuration" section, by variable. A row whose
 * first cell is not one `VARIABLE` is kept under its raw text, so the comparison shows it.
 */
function readmeRows(): Record<string, string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = /^## Configuration\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Configuration" section');
  const rows: Record<string, string> = {};
  for (const line of section.split('\n').filter((l) => l.startsWith('|'))) {
    const cells = line.slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined).split('|');
    const [first = '', ...rest] = cells.map((cell) => cell.trim());
    if (first === 'variable' || /^-+$/.test(first)) continue; // header and separator
    const variable = /^`([A-Z][A-Z0-9_]*)`$/.exec(first)?.[1];
    if (variable === undefined) {
      rows[first] = line; // "`A` / `B`" or a typo: one variable per row, so it cannot match
      continue;
    }
    if (variable in rows) throw new Error(`README.md: ${variable} has two rows`);
    rows[variable] = row(variable, rest[0] ?? '', rest.slice(1).join(' | '));
  }
  return rows;
}

describe('README configuration table', () => {
  it('declares each variable once', () => {
    const names = declared.map((s) => s.env);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('has one row per declared setting, with its declared default and meaning', () => {
    // On failure the diff shows, per variable, the row the README should have.
    const expected = Object.fromEntries(declared.map((s) => [s.env, row(s.env, s.readmeDefault, s.meaning)]));
    expect(readmeRows()).toEqual(expected);
  });
});
