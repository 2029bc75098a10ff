// Real ClickHouse servers for tests and the bench: two `clickhouse-server` processes on free local
// ports, each with a temporary data directory and generated config, joined as a two-shard cluster
// (`remote_servers`), started in parallel and ready in about a second (0.6 s each on the 2-core
// test machine, Debian's 18.16). Stopped with SIGKILL (their data is throw-away) and their
// directories removed; a test process that dies kills them on its way out.
//
// The two servers listen on different loopback addresses (127.0.0.1 and 127.0.0.2) with the SAME
// HTTP port and different TCP ports, like a real cluster where every node serves HTTP on one port:
// breakglass reaches each shard's HTTP interface at the host `system.clusters` names and the
// port of the URL it was given. (Equal TCP ports would make a server take 127.0.0.1:PORT for itself.)
//
// Users: `default` (no password, loopback only; the servers use it between themselves) and
// `breakglass` with the password CLICKHOUSE_TEST_PASSWORD.
// HTTPS too, when openssl is installed: a throw-away CA (caFile) signs a certificate for both
// addresses, and every server also serves HTTPS on one shared port (for clickhouses:// and --ca).
// No vitest import: the bench (bench/clickhouse-load-step.ts) starts the same cluster.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const CLICKHOUSE_SERVER = process.env.CLICKHOUSE_SERVER ?? "/usr/sbin/clickhouse-server";
export const CLICKHOUSE_TEST_USER = "breakglass";
export const CLICKHOUSE_TEST_PASSWORD = "s3cret-Pa55word-for-tests";
export const CLICKHOUSE_TEST_CLUSTER = "breakglass_test";

/** How long a server may take to answer /ping (measured: 0.6 s; the machine may be busy). */
const READY_TIMEOUT_MS = 30_000;

/**
 * Whether the ClickHouse tests can run here. Absent: a visible notice, and the caller skips
 * (`describe.skipIf(!hasClickhouse())`); absent while BREAKGLASS_REQUIRE_CLICKHOUSE=1: throws,
 * so the test file fails instead of skipping.
 */
export function hasClickhouse(): boolean {
  if (existsSync(CLICKHOUSE_SERVER)) return true;
  const why = `${CLICKHOUSE_SERVER} is not installed (apt-get install clickhouse-server clickhouse-client)`;
  if (process.env.BREAKGLASS_REQUIRE_CLICKHOUSE === "1") {
    throw new Error(`BREAKGLASS_REQUIRE_CLICKHOUSE=1 but ${why}`);
  }
  console.warn(`SKIPPED: ClickHouse tests: ${why}`);
  return false;
}

export interface ClickhouseServer {
  readonly host: string;
  readonly httpPort: number;
  readonly httpsPort: number | undefined;
  readonly tcpPort: number;
  readonly dir: string;
  readonly process: ChildProcess;
}

export interface ClickhouseCluster {
  readonly servers: readonly ClickhouseServer[];
  readonly clusterName: string;
  /** The CA (PEM) that signed the servers' HTTPS certificate; undefined without openssl. */
  readonly caFile: string | undefined;
  /**
   * `clickhouse://breakglass@HOST:PORT/DATABASE?cluster=…` for the first server (no password);
   * with `tls`, `clickhouses://` at the HTTPS port.
   */
  url(database: string, opts?: { cluster?: boolean; user?: string; tls?: boolean }): string;
  /** Run SQL on one server as `default` over HTTP; the response body. Throws on an HTTP error. */
  sql(sql: string, server?: number): Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** A port free on every host (the shared HTTP port). */
async function portFreeOnAll(hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(hosts[0]!);
    let free = true;
    for (const h of hosts.slice(1)) free &&= await portIsFree(h, port);
    if (free) return port;
  }
  throw new Error("no port free on every test host");
}

interface Ports {
  http: number;
  https: number | undefined;
  tcp: number;
  interserver: number;
}

interface Tls {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A CA and a certificate it signs for every host (openssl); undefined when openssl is absent. */
function makeTls(hosts: readonly string[]): Tls | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bg-clickhouse-tls-"));
  const f = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { stdio: "ignore" });
  };
  try {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      f("ca.key"),
      "-out",
      f("ca.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=breakglass test CA",
    );
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      f("server.key"),
      "-out",
      f("server.csr"),
      "-subj",
      `/CN=${hosts[0]}`,
    );
    writeFileSync(f("ext.cnf"), `subjectAltName=${hosts.map((h) => `IP:${h}`).join(",")}\n`);
    openssl(
      "x509",
      "-req",
      "-in",
      f("server.csr"),
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-out",
      f("server.crt"),
      "-days",
      "2",
      "-extfile",
      f("ext.cnf"),
    );
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return { dir, caFile: f("ca.pem"), certFile: f("server.crt"), keyFile: f("server.key") };
}

function tlsXml(ports: Ports, tls: Tls | undefined): string {
  if (tls === undefined || ports.https === undefined) return "";
  return `
  <https_port>${ports.https}</https_port>
  <openSSL>
    <server>
      <certificateFile>${tls.certFile}</certificateFile>
      <privateKeyFile>${tls.keyFile}</privateKeyFile>
      <verificationMode>none</verificationMode>
      <loadDefaultCAFile>false</loadDefaultCAFile>
      <disableProtocols>sslv2,sslv3</disableProtocols>
    </server>
  </openSSL>`;
}

function configXml(
  dir: string,
  host: string,
  ports: Ports,
  shards: readonly { host: string; tcp: number }[],
  tls: Tls | undefined,
): string {
  const shardXml = shards
    .map(
      (s) => `      <shard><replica><host>${s.host}</host><port>${s.tcp}</port></replica></shard>`,
    )
    .join("\n");
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/server.log</log>
    <errorlog>${dir}/server.err.log</errorlog>
    <console>0</console>
  </logger>
  <listen_host>${host}</listen_host>
  <http_port>${ports.http}</http_port>${tlsXml(ports, tls)}
  <tcp_port>${ports.tcp}</tcp_port>
  <interserver_http_port>${ports.interserver}</interserver_http_port>
  <interserver_http_host>${host}</interserver_http_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <remote_servers>
    <${CLICKHOUSE_TEST_CLUSTER}>
${shardXml}
    </${CLICKHOUSE_TEST_CLUSTER}>
  </remote_servers>
</yandex>
`;
}

function usersXml(): string {
  const user = (name: string, password: string): string => `
    <${name}>
      <password>${password}</password>
      <networks><ip>127.0.0.0/8</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${name}>`;
  return `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <background_pool_size>4</background_pool_size>
    </default>
  </profiles>
  <users>${user("default", "")}${user(CLICKHOUSE_TEST_USER, CLICKHOUSE_TEST_PASSWORD)}
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries><errors>0</errors><result_rows>0</result_rows>
        <read_rows>0</read_rows><execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`;
}

export function httpSql(host: string, port: number, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method: "POST", path: "/", headers: { "X-ClickHouse-User": "default" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`ClickHouse ${host}:${port}: HTTP ${res.statusCode}: ${body}`));
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(sql);
  });
}

async function waitReady(server: ClickhouseServer, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) {
      const errLog = path.join(server.dir, "server.err.log");
      const log = existsSync(errLog) ? readFileSync(errLog, "utf8").slice(-2000) : "";
      throw new Error(`clickhouse-server on ${server.host}:${server.httpPort} exited: ${log}`);
    }
    try {
      if ((await httpSql(server.host, server.httpPort, "SELECT 1")).trim() === "1") return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`clickhouse-server on ${server.host}:${server.httpPort} not ready in time`);
}

async function startServers(
  hosts: readonly string[],
  tls: Tls | undefined,
): Promise<ClickhouseServer[]> {
  const httpPort = await portFreeOnAll(hosts);
  const httpsPort = tls === undefined ? undefined : await portFreeOnAll(hosts);
  const ports: Ports[] = [];
  for (const h of hosts) {
    ports.push({
      http: httpPort,
      https: httpsPort,
      tcp: await freePort(h),
      interserver: await freePort(h),
    });
  }
  const shards = hosts.map((h, i) => ({ host: h, tcp: ports[i]!.tcp }));
  const servers: ClickhouseServer[] = [];
  const waits: Promise<void>[] = [];
  for (const [i, host] of hosts.entries()) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `bg-clickhouse-${i}-`));
    for (const sub of ["data", "tmp", "user_files", "format_schemas"]) {
      mkdirSync(path.join(dir, sub));
    }
    writeFileSync(path.join(dir, "config.xml"), configXml(dir, host, ports[i]!, shards, tls));
    writeFileSync(path.join(dir, "users.xml"), usersXml());
    const child = spawn(CLICKHOUSE_SERVER, [`--config-file=${path.join(dir, "config.xml")}`], {
      cwd: dir,
      stdio: "ignore",
    });
    let exited = false;
    running.add(child);
    child.on("exit", () => {
      exited = true;
      running.delete(child);
    });
    const server = {
      host,
      httpPort,
      httpsPort,
      tcpPort: ports[i]!.tcp,
      dir,
      process: child,
    };
    servers.push(server);
    waits.push(waitReady(server, () => exited));
  }
  try {
    await Promise.all(waits);
  } catch (err) {
    await stopServers(servers);
    throw err;
  }
  return servers;
}

async function stopServers(servers: readonly ClickhouseServer[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.process.exitCode !== null || s.process.signalCode !== null) return resolve();
          s.process.once("exit", () => resolve());
          s.process.kill("SIGKILL");
        }),
    ),
  );
  for (const s of servers) rmSync(s.dir, { recursive: true, force: true });
}

/**
 * Start the two-shard cluster (one server per shard). Retries once when a port picked as free was
 * taken before the server bound it.
 */
export async function startClickhouseCluster(): Promise<ClickhouseCluster> {
  const hosts = ["127.0.0.1", "127.0.0.2"];
  const tls = makeTls(hosts);
  let servers: ClickhouseServer[];
  try {
    try {
      servers = await startServers(hosts, tls);
    } catch {
      servers = await startServers(hosts, tls);
    }
  } catch (err) {
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
    throw err;
  }
  const first = servers[0]!;
  return {
    servers,
    clusterName: CLICKHOUSE_TEST_CLUSTER,
    caFile: tls?.caFile,
    url(database, opts = {}) {
      const user = opts.user ?? CLICKHOUSE_TEST_USER;
      const query = opts.cluster ? `?cluster=${CLICKHOUSE_TEST_CLUSTER}` : "";
      const [scheme, port] = opts.tls
        ? ["clickhouses", first.httpsPort]
        : ["clickhouse", first.httpPort];
      if (port === undefined) throw new Error("the test cluster has no HTTPS (no openssl)");
      return `${scheme}://${user}@${first.host}:${port}/${database}${query}`;
    },
    sql(sql, server = 0) {
      const s = servers[server]!;
      return httpSql(s.host, s.httpPort, sql);
    },
    stop: async () => {
      await stopServers(servers);
      if (tls) rmSync(tls.dir, { recursive: true, force: true });
    },
  };
}
