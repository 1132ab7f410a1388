/** Bad usage: a wrong argument, flag, file or input. Exit code 2, nothing was written. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
