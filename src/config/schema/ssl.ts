// The root `SSL { password ca certificate key }` block: the client side of every SSL_GET, as
// keepalived 2.2.7 sets up its SSL context (check_ssl.c init_ssl_ctx).
import type { Stmt } from '../ast.js';
import type { SslConfig } from '../model.js';
import { applyBlock, blockOf, type BlockSpec, type Ctx, type Handler } from './block.js';
import { text } from './values.js';

function file(field: 'password' | 'ca' | 'certificate' | 'key'): Handler<SslConfig> {
  return (s, c, ctx) => {
    const v = text(s, ctx);
    if (v === undefined) return;
    // keepalived: "SSL %s already specified - replacing"
    if (c[field] !== undefined) ctx.warn(`SSL ${s.keyword.text} already specified; replacing`, s.keyword.loc);
    c[field] = v;
  };
}

export const SSL_SPEC: BlockSpec<SslConfig> = {
  name: 'SSL',
  keywords: {
    password: file('password'),
    ca: file('ca'),
    certificate: file('certificate'),
    key: file('key'),
  },
};

export function readSsl(s: Stmt, previous: SslConfig | undefined, ctx: Ctx): SslConfig {
  if (previous) ctx.warn('SSL context already specified; replacing', s.keyword.loc);
  const c: SslConfig = { loc: s.keyword.loc };
  applyBlock<SslConfig>(SSL_SPEC, blockOf(s, ctx), c, ctx);
  return c;
}
