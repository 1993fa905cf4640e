import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A real HTTP server on 127.0.0.1 and a free port that records every request (for alert channels). */
export class AlertReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Status answered per request, in order; once used up, `200`. `'hang'` never answers. */
  readonly statuses: (number | 'hang')[] = [];
  private readonly server: Server;
  private readonly hanging = new Set<() => void>();
  url = '';

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
        const status = this.statuses.shift() ?? 200;
        if (status === 'hang') {
          this.hanging.add(() => response.destroy());
          return;
        }
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'server error');
      });
    });
  }

  /** Starts listening; `path` is appended to `url`. */
  async start(path = '/hooks/alerts'): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const destroy of this.hanging) destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  /** Request bodies parsed as JSON. */
  json<T = Record<string, unknown>>(): T[] {
    return this.requests.map((request) => JSON.parse(request.body.toString('utf8')) as T);
  }
}
