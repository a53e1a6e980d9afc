// A service in its own process, so specs can see that no input stops it. Options come as JSON in
// FUNCX_SERVICE_OPTIONS; it prints one JSON line with what a test needs, and stops on SIGTERM.
// With FUNCX_SPEC_SOCKET_EVENTS=1 it also tells its parent, over IPC, of each TCP connection it
// has closed (its side: after its answer, or on the peer's reset), by the connection's number in
// the order accepted, and answers `accepted?` with how many it has accepted: a spec waits on those
// instead of guessing how long the service takes. (By number, not by the peer's port: a peer
// that resets at once is gone before the service can ask its address.)
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { FuncXService } from '../../lib/service/FuncXService.js';

if (process.env.FUNCX_SPEC_SOCKET_EVENTS === '1' && process.send !== undefined) {
  const send = process.send.bind(process);
  let accepted = 0;
  subscribe('net.server.socket', (message) => {
    const number = ++accepted;
    (message as { socket: Socket }).socket.once('close', () => send({ closed: number }));
  });
  process.on('message', (message) => {
    if (message === 'accepted?') send({ accepted });
  });
}

const service = await FuncXService.start(JSON.parse(process.env.FUNCX_SERVICE_OPTIONS ?? '{}'));
const alice = await service.issueToken();
const endpoint = await service.registerEndpoint(alice.userId, { name: 'spec' });
process.stdout.write(`${JSON.stringify({ url: service.url, token: alice.token, userId: alice.userId, endpointId: endpoint.endpointId, secret: endpoint.secret })}\n`);
process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
