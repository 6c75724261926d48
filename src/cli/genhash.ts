// `vigil genhash -s HOST -p PORT -u PATH [-S] [-V VHOST] [-I] [-P PROTO] [-t SECS] [-v]`: the MD5
// of a page's body, exactly as keepalived's genhash prints it, for HTTP_GET / SSL_GET `digest`.
import { httpGet, md5Hex, type HttpCheckOptions } from '../check/http.js';

const USAGE = `usage: vigil genhash -s SERVER -p PORT -u URL [options]
  -s, --server ADDR          the real server to ask
  -p, --port PORT            its port
  -u, --url PATH             the page (e.g. /health)
  -S, --use-ssl              use TLS (SSL_GET)
  -I, --use-sni              send the virtual host as SNI
  -V, --use-virtualhost NAME the Host header (virtualhost)
  -P, --protocol 1.0|1.0c|1.1
  -t, --timeout SECS         default 5
  -v, --verbose              show the response header and body`;

const VALUE: Record<string, string> = {
  '-s': 'server',
  '--server': 'server',
  '-p': 'port',
  '--port': 'port',
  '-u': 'url',
  '--url': 'url',
  '-V': 'vhost',
  '--use-virtualhost': 'vhost',
  '-P': 'protocol',
  '--protocol': 'protocol',
  '-t': 'timeout',
  '--timeout': 'timeout',
};
const FLAG: Record<string, string> = {
  '-S': 'ssl',
  '--use-ssl': 'ssl',
  '-I': 'sni',
  '--use-sni': 'sni',
  '-v': 'verbose',
  '--verbose': 'verbose',
};

export async function runGenhash(argv: string[]): Promise<number> {
  const v: Record<string, string> = {};
  const f = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    }
    if (VALUE[a]) {
      const val = argv[++i];
      if (val === undefined) return usage(`${a} needs a value`);
      v[VALUE[a]] = val;
    } else if (FLAG[a]) f.add(FLAG[a]);
    else return usage(`unknown option '${a}'`);
  }
  if (!v.server || !v.port || !v.url) return usage('-s SERVER, -p PORT and -u URL are all needed');
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return usage(`'${v.port}' is not a port`);
  const timeout = v.timeout === undefined ? 5 : Number(v.timeout);
  if (!(timeout > 0)) return usage(`'${v.timeout}' is not a timeout in seconds`);
  const proto = v.protocol?.toLowerCase();
  if (proto !== undefined && !['1.0', '1.0c', '1.1'].includes(proto))
    return usage(`protocol must be 1.0, 1.0c or 1.1`);
  const o: HttpCheckOptions = {
    host: v.server,
    port,
    ssl: f.has('ssl'),
    timeoutMs: timeout * 1000,
    ...(v.vhost ? { virtualhost: v.vhost } : {}),
    ...(f.has('sni') && v.vhost ? { sni: v.vhost } : {}),
    ...(proto ? { httpProtocol: proto === '1.0c' ? '1.0C' : proto } : {}),
  };
  try {
    const res = await httpGet(o, v.url);
    if (f.has('verbose')) {
      console.log(res.header.toString('latin1').trimEnd());
      console.log(`\n--- body: ${res.body.length} bytes, status ${res.status} ---`);
    }
    console.log(md5Hex(res.body));
    return 0;
  } catch (e) {
    console.error(`vigil genhash: ${v.server}:${port}${v.url}: ${(e as Error).message}`);
    return 1;
  }
}

function usage(msg: string): number {
  console.error(`vigil genhash: ${msg}\n${USAGE}`);
  return 2;
}
