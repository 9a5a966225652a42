// Binding a listener: a bind failure (EADDRINUSE, EACCES) rejects; once bound, later server
// errors go to `onError` instead of crashing the process.
import type { AddressInfo, Server } from 'node:net';

export function listen(
  server: Server,
  port: number,
  host: string,
  onError: (err: Error) => void,
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
