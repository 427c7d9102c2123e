/** A request the API refuses with 400: `code` is the stable machine-readable part, `message` names the problem. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
