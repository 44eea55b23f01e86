/**
 * Writes the table of every setting into docs/configuration.md, between its two markers, from the
 * declarations (src/config/settings.ts): `npm run docs:config`. The rest of the page is prose kept
 * by hand. test/config/readme-table.test.ts fails when the page and the declarations disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settingsOf } from '../src/config/setting.ts';
import { settings } from '../src/config/settings.ts';

export const CONFIG_DOC = new URL('../docs/configuration.md', import.meta.url);
export const TABLE_BEGIN = '<!-- settings table: written by `npm run docs:config` from src/config/settings.ts; do not edit by hand -->';
export const TABLE_END = '<!-- end of the settings table -->';

/** A table row, exactly as it reads for one setting (README.md writes its links from the repository root). */
export const settingRow = (variable: string, readmeDefault: string, meaning: string) =>
  `| \`${variable}\` | ${readmeDefault} | ${meaning} |`;

/**
 * The declarations write their links for README.md; this rewrites them for a page in docs/:
 * `docs/x.md` becomes `x.md`, `#anchor` the README's anchor, any other relative path `../path`.
 */
export function linksFromDocs(markdown: string): string {
  return markdown.replace(/\]\(([^)\s]+)\)/g, (whole, target: string) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return whole; // https:, mailto:
    if (target.startsWith('#')) return `](../README.md${target})`;
    if (target.startsWith('docs/')) return `](${target.slice('docs/'.length)})`;
    return `](../${target})`;
  });
}

/** Every declared setting's row, as docs/configuration.md shows it, by variable, in declaration order. */
export function declaredDocRows(): Map<string, string> {
  return new Map(settingsOf(settings).map((s) => [s.env, linksFromDocs(settingRow(s.env, s.readmeDefault, s.meaning))]));
}

/** The generated block: header, separator and one row per setting. */
export function settingsTable(): string {
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...declaredDocRows().values()].join('\n');
}

/** The page with its table replaced by the declared one. */
export function withSettingsTable(page: string): string {
  const begin = page.indexOf(TABLE_BEGIN);
  const end = page.indexOf(TABLE_END);
  if (begin === -1 || end < begin) throw new Error(`docs/configuration.md: the markers ${TABLE_BEGIN} and ${TABLE_END} are missing`);
  return `${page.slice(0, begin + TABLE_BEGIN.length)}\n\n${settingsTable()}\n\n${page.slice(end)}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const page = readFileSync(CONFIG_DOC, 'utf8');
  const written = withSettingsTable(page);
  writeFileSync(CONFIG_DOC, written);
  console.log(written === page ? 'docs/configuration.md is up to date' : `docs/configuration.md: wrote ${declaredDocRows().size} settings`);
}
