// The listener's own thread: sockets → spool, nothing else. Indexing, alerts and compaction run on
// the main thread and may pause it for a commit or a merge; this thread never waits for them, so a
// slow or stuck indexer cannot back-pressure Vault. Loaded from dist/ (like the parse worker).
// Messages: in `{ kind: "stop" }`; out "listening", "closed" (a spool file no longer appended
// to: once indexed it may go), "warning", "stopped", "failed".
import { parentPort, workerData } from "node:worker_threads";
import {
  startSocketListener,
  type Endpoint,
  type ListenerLimits,
  type ListenerStats,
  type SocketListener,
} from "./socket-listener.js";
import { SpoolWriter } from "./spool.js";

export interface ListenerThreadData {
  readonly spoolDir: string;
  readonly endpoints: readonly Endpoint[];
  readonly rotateBytes: number;
  readonly limits: ListenerLimits;
}

export type ListenerMessage =
  | { readonly kind: "listening"; readonly addresses: readonly string[] }
  | { readonly kind: "closed"; readonly file: string }
  | { readonly kind: "warning"; readonly message: string }
  | { readonly kind: "stopped"; readonly stats: ListenerStats }
  | { readonly kind: "failed"; readonly message: string };

const port = parentPort!;
const data = workerData as ListenerThreadData;
const post = (m: ListenerMessage): void => port.postMessage(m);

let listener: SocketListener | undefined;
let spool: SpoolWriter | undefined;
try {
  const writer = new SpoolWriter(data.spoolDir, data.rotateBytes, (file) =>
    post({ kind: "closed", file }),
  );
  spool = writer;
  listener = await startSocketListener(
    data.endpoints,
    (source) => {
      const peer = writer.peer(source);
      return { write: (pieces) => peer.append(pieces), close: () => peer.close() };
    },
    (message) => post({ kind: "warning", message }),
    data.limits,
  );
  post({ kind: "listening", addresses: listener.addresses });
} catch (err) {
  await listener?.close();
  spool?.close();
  post({ kind: "failed", message: (err as Error).message });
  port.close();
}

port.on("message", (m: { kind: string }) => {
  if (m.kind !== "stop" || !listener || !spool) return;
  const l = listener;
  const s = spool;
  listener = undefined;
  void l.close().then(() => {
    s.close();
    post({ kind: "stopped", stats: l.stats });
    port.close();
  });
});
