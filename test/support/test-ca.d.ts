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
