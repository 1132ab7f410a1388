import { isRestError } from '@azure/core-rest-pipeline';

/** A failure with a stable code for records, logs and alerts. */
export class GovernError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GovernError';
  }
}

/** {code, message} for any thrown value; ARM errors keep their ARM error code. */
export function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof GovernError) return { code: error.code, message: error.message };
  if (isRestError(error)) {
    return { code: error.code ?? `HTTP${error.statusCode ?? 'Error'}`, message: firstLine(error.message) };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : error.name || 'Error', message: firstLine(error.message) };
  }
  return { code: 'Error', message: String(error) };
}

export function isConflict(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 409;
}

function firstLine(message: string): string {
  // RestError messages can carry the whole response body; the first line holds ARM's message.
  return message.split('\n')[0]?.slice(0, 1000) ?? '';
}
