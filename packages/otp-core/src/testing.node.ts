/**
 * `@otpkit/otp-core/testing/node`: network faults for store and adapter tests on Node.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** The loopback port to point a client at. */
  port: number;
  /**
   * Every connection open now goes silent both ways without being closed — a half-open
   * connection, as when the server's host vanishes without a reset — while new connections still
   * go through (the server is reachable again, e.g. after a failover).
   */
  freeze(): void;
  /** Freezes everything, new connections included (they are accepted and then swallowed). */
  refuse(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `targetPort` on 127.0.0.1. */
export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const frozen = new Set<Socket>();
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on("error", () => {});
    if (refusing) {
      frozen.add(client);
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("error", () => {});
    client.on("data", (chunk) => {
      if (!frozen.has(client)) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!frozen.has(client)) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      for (const socket of sockets) frozen.add(socket);
    },
    refuse() {
      refusing = true;
      for (const socket of sockets) frozen.add(socket);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
