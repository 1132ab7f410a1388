/** Types for test-ca.js (plain JS so the jest launcher can use it before ts-jest is loaded). */
export interface TestTlsFiles {
  dir: string;
  caCertPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}
export function generateTestTls(dir?: string): Promise<TestTlsFiles>;
export function readTestTls(dir: string): TestTlsFiles | undefined;
/** Runs `node <args>` trusting a fresh test CA, then exits this process with the child's code (or `finish(code)`). */
export function runNodeTrustingTestCa(args: string[], finish?: (code: number) => number): Promise<never>;
/** Returns when this process trusts a test CA; otherwise re-runs the same command trusting one and exits. */
export function relaunchTrustingTestCa(): Promise<void>;
