import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsOf } from '../../src/config/setting.ts';
import { settings } from '../../src/config/settings.ts';
import { CONFIG_DOC, TABLE_BEGIN, TABLE_END, declaredDocRows, settingRow, settingsTable } from '../../scripts/write-config-doc.ts';

const declared = settingsOf(settings);
const REGENERATE = 'docs/configuration.md disagrees with src/config: run `npm run docs:config`';

/**
 * The rows of a markdown table by variable. A row whose first cell is not one `VARIABLE` is kept
 * under its raw text, so the comparison shows it.
 */
function rowsOf(text: string, where: string): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => l.startsWith('|'))) {
    const cells = line.slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined).split('|');
    const [first = '', ...rest] = cells.map((cell) => cell.trim());
    if (first === 'variable' || /^-+$/.test(first)) continue; // header and separator
    const variable = /^`([A-Z][A-Z0-9_]*)`$/.exec(first)?.[1];
    if (variable === undefined) {
      rows[first] = line; // "`A` / `B`" or a typo: one variable per row, so it cannot match
      continue;
    }
    if (variable in rows) throw new Error(`${where}: ${variable} has two rows`);
    rows[variable] = settingRow(variable, rest[0] ?? '', rest.slice(1).join(' | '));
  }
  return rows;
}

/** The generated block of docs/configuration.md, between its markers. */
function docTable(): string {
  const page = readFileSync(CONFIG_DOC, 'utf8');
  const begin = page.indexOf(TABLE_BEGIN);
  const end = page.indexOf(TABLE_END);
  if (begin === -1 || end < begin) throw new Error(`docs/configuration.md has lost its table markers; ${REGENERATE}`);
  return page.slice(begin + TABLE_BEGIN.length, end).trim();
}

/** The table rows of README.md's "## Configuration" section: the settings a first run needs. */
function readmeRows(): Record<string, string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = /^## Configuration\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Configuration" section');
  return rowsOf(section, 'README.md');
}

describe('configuration tables', () => {
  it('declares each variable once', () => {
    const names = declared.map((s) => s.env);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('docs/configuration.md has one row per declared setting, with its declared default and meaning', () => {
    // On failure the diff shows, per variable, the row the page should have.
    expect(rowsOf(docTable(), 'docs/configuration.md'), REGENERATE).toEqual(Object.fromEntries(declaredDocRows()));
  });

  it('docs/configuration.md holds exactly the table npm run docs:config writes (order and header too)', () => {
    expect(docTable(), REGENERATE).toBe(settingsTable());
  });

  it("the README's short table shows declared settings only, each row as declared", () => {
    // A subset: the README lists what a first run needs, docs/configuration.md every setting.
    const rows = readmeRows();
    expect(Object.keys(rows).length, 'README.md: the Configuration section has no table rows').toBeGreaterThan(0);
    const expected = Object.fromEntries(
      Object.keys(rows).map((variable) => {
        const s = declared.find((d) => d.env === variable);
        return [variable, s ? settingRow(s.env, s.readmeDefault, s.meaning) : `(${variable} is not a declared setting)`];
      }),
    );
    expect(rows, "README.md's Configuration table: each row must read as declared in src/config (the diff shows the declared row)").toEqual(
      expected,
    );
  });
});
