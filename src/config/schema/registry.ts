// Every keyword table of the configuration, by the path of keywords that opens its block, as
// scripts/keepalived-keywords.mjs names keepalived's blocks ('virtual_server/real_server/HTTP_GET/url').
import { ROOT_SPEC } from '../load.js';
import type { BlockSpec } from './block.js';
import { CHECKER_SPECS, SMTP_HOST_SPEC, URL_SPEC } from './checkers.js';
import { GLOBAL_SPEC } from './global.js';
import { RS_SPEC, VS_SPEC } from './lvs.js';
import { SSL_SPEC } from './ssl.js';
import {
  AUTH_SPEC,
  GARP_GROUP_SPEC,
  INSTANCE_SPEC,
  SYNC_GROUP_SPEC,
  TRACK_FILE_SPEC,
  TRACK_PROCESS_SPEC,
  VRRP_SCRIPT_SPEC,
} from './vrrp.js';

/** Any block's table (a handler of some T is a handler of never). */
export type AnySpec = BlockSpec<never>;

const RS = 'virtual_server/real_server';

export const KEYWORD_BLOCKS: Record<string, AnySpec> = {
  '': ROOT_SPEC,
  global_defs: GLOBAL_SPEC,
  SSL: SSL_SPEC,
  vrrp_instance: INSTANCE_SPEC,
  'vrrp_instance/authentication': AUTH_SPEC,
  vrrp_sync_group: SYNC_GROUP_SPEC,
  vrrp_script: VRRP_SCRIPT_SPEC,
  vrrp_track_process: TRACK_PROCESS_SPEC,
  track_file: TRACK_FILE_SPEC,
  vrrp_track_file: TRACK_FILE_SPEC,
  garp_group: GARP_GROUP_SPEC,
  virtual_server: VS_SPEC,
  [RS]: RS_SPEC,
  ...Object.fromEntries(Object.entries(CHECKER_SPECS).map(([k, spec]) => [`${RS}/${k}`, spec as AnySpec])),
  [`${RS}/HTTP_GET/url`]: URL_SPEC,
  [`${RS}/SSL_GET/url`]: URL_SPEC,
  [`${RS}/SMTP_CHECK/host`]: SMTP_HOST_SPEC,
};

/** Keywords the line reader acts on wherever they are (src/config/lines.ts), before any block. */
const READER_KEYWORDS = new Set(['include_check']);

export type KeywordStatus = 'implemented' | 'warned' | 'unknown';

/** How vigil takes `word` in the block at `path`; a block under a warned keyword is warned whole. */
export function keywordStatus(path: string, word: string): KeywordStatus {
  if (READER_KEYWORDS.has(word)) return 'implemented';
  const spec = KEYWORD_BLOCKS[path];
  if (!spec) {
    const cut = path.lastIndexOf('/');
    const parent = cut < 0 ? '' : path.slice(0, cut);
    const opener = path.slice(cut + 1);
    return keywordStatus(parent, opener) === 'warned' ? 'warned' : 'unknown';
  }
  const canonical = spec.synonyms?.[word] ?? word;
  if (spec.keywords[canonical]) return 'implemented';
  if (spec.unimplemented?.[word] !== undefined || spec.ignored?.[word] !== undefined) return 'warned';
  return 'unknown';
}

/** README's coverage table: per block of keepalived's keyword list, how many vigil implements and warns. */
export function coverageTable(blocks: Record<string, string[]>): string {
  const rows = [
    '| block 配置块 | keepalived 2.2.7 | implemented 已实现 | warned 警告 |',
    '|---|---:|---:|---:|',
  ];
  const total = { all: 0, implemented: 0, warned: 0 };
  for (const [path, words] of Object.entries(blocks)) {
    const n = { implemented: 0, warned: 0 };
    for (const w of words) {
      const st = keywordStatus(path, w);
      if (st !== 'unknown') n[st]++;
    }
    rows.push(
      `| ${path ? `\`${path}\`` : '(top level 顶层)'} | ${words.length} | ${n.implemented} | ${n.warned} |`,
    );
    total.all += words.length;
    total.implemented += n.implemented;
    total.warned += n.warned;
  }
  rows.push(`| **total 合计** | ${total.all} | ${total.implemented} | ${total.warned} |`);
  return rows.join('\n');
}
