// The one place that unwraps command results. Stores call `call(commands.x(...))`;
// components never invoke commands themselves.
import type { UiError } from './bindings';

export class ApiError extends Error {
  readonly error: UiError;
  constructor(error: UiError) {
    super(error.message);
    this.error = error;
  }
}

type CommandResult<T> = { status: 'ok'; data: T } | { status: 'error'; error: UiError };

export async function call<T>(pending: Promise<CommandResult<T>>): Promise<T> {
  const result = await pending;
  if (result.status === 'error') throw new ApiError(result.error);
  return result.data;
}
