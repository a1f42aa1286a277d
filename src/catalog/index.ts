// The typed catalog of MMDAgent-EX messages (messages.md): a builder per command, exported by
// name and grouped as `commands`, and parseEvent for everything that comes back.
export * from './commands.js';
export * as commands from './commands.js';
export { parseEvent } from './parse.js';
export type * from './types.js';
