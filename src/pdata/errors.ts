/** Malformed wire or JSON input. `where` names the byte offset or JSON path of the fault. */
export class DecodeError extends Error {
  readonly code = 'SY_DECODE';
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(`${message} (at ${where})`);
    this.name = 'DecodeError';
  }
}
