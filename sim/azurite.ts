/**
 * Azurite's Table service (from node_modules) in a child process, in memory, on a free port.
 * The child runs in its own process group so close() — and, as safety nets, this process's exit
 * hook and the IPC watchdog — can end it; a jest run must not leave Azurite behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AzuriteTable {
  connectionString: string;
  endpoint: string;
  close(): Promise<void>;
}

/** Azurite's well-known development account (public, documented; not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const START_TIMEOUT_MS = 20000;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Azurite table exited early (code ${child.exitCode ?? child.signalCode}). Output:\n${output()}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Azurite table did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms. Output:\n${output()}`);
}

export async function startAzuriteTable(): Promise<AzuriteTable> {
  const script = require.resolve('azurite/dist/src/table/main.js');
  const port = await freePort();
  // Azurite ensures its --location (default: cwd) exists even in memory mode; keep it out of the repo.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-azurite-'));
  const args = [
    script,
    '--inMemoryPersistence',
    '--tableHost', '127.0.0.1',
    '--tablePort', String(port),
    '--skipApiVersionCheck',
    '--disableProductStyleUrl',
    '--disableTelemetry',
    '--silent',
  ];
  // Own process group (detached) so close() can kill the whole group; the IPC channel plus the
  // preloaded watchdog make Azurite exit when this process dies without calling close().
  const watchdog = path.join(__dirname, 'azurite-watchdog.js');
  const child = spawn(process.execPath, ['--require', watchdog, ...args], {
    cwd: workDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  installExitHook();
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const close = async (): Promise<void> => {
    if (live.delete(child)) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  };

  try {
    await waitUntilListening(child, port, () => output);
  } catch (err) {
    await close();
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  return {
    endpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${endpoint};`,
    close,
  };
}
