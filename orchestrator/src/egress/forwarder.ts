/**
 * Inside the set-up sandbox: a TCP listener on 127.0.0.1 (the container's own loopback; its network
 * mode is still `none`) that pipes every connection to the egress proxy's Unix socket, bind-mounted
 * from the host. Package managers only speak HTTP proxies over TCP, so this is the one hop between
 * them and the socket. It runs next to each set-up command and dies with it (the runner kills what a
 * command leaves behind).
 */
export const EGRESS_MOUNT = '/run/pushpals-egress';
export const EGRESS_SOCKET = `${EGRESS_MOUNT}/proxy.sock`;
export const FORWARDER_PORT = 3128;
export const PROXY_URL = `http://127.0.0.1:${FORWARDER_PORT}`;

/** Node source of the forwarder; argv: socket path, port. Prints "ready" once listening. */
export const FORWARDER_SOURCE = `
const net = require('net');
const [sock, port] = [process.argv[1], Number(process.argv[2])];
const server = net.createServer((c) => {
  const u = net.connect(sock);
  const end = () => { c.destroy(); u.destroy(); };
  c.on('error', end); u.on('error', end); c.on('close', end); u.on('close', end);
  c.pipe(u); u.pipe(c);
});
server.on('error', (e) => { process.stderr.write('pushpals egress forwarder: ' + e.message + '\\n'); process.exit(1); });
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

/**
 * The command as the set-up sandbox runs it: the forwarder started first (its source travels in the
 * environment: the root fs is read-only), the command once it listens. The audit trail and the
 * events show the command as given, not this wrapper.
 */
export function withForwarder(command: string): string {
  return [
    `exec 3< <(exec node -e "$PUSHPALS_EGRESS_FORWARDER" ${EGRESS_SOCKET} ${FORWARDER_PORT})`,
    `IFS= read -r -t 10 _pushpals_ready <&3 || { echo "pushpals: the egress forwarder did not start" >&2; exit 125; }`,
    'exec 3<&-',
    'unset PUSHPALS_EGRESS_FORWARDER _pushpals_ready',
    command,
  ].join('\n');
}

/** What every set-up command sees: the proxy (under the names each tool reads) and no other route. */
export function proxyEnv(): Record<string, string> {
  return {
    PUSHPALS_EGRESS_FORWARDER: FORWARDER_SOURCE,
    HTTPS_PROXY: PROXY_URL,
    HTTP_PROXY: PROXY_URL,
    https_proxy: PROXY_URL,
    http_proxy: PROXY_URL,
    npm_config_proxy: PROXY_URL,
    npm_config_https_proxy: PROXY_URL,
    NO_PROXY: '',
    no_proxy: '',
  };
}
