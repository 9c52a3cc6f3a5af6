/**
 * A reason Wave cannot start that the operator has to fix (a data file that is a directory, one that
 * cannot be read): main.ts prints its message as one line, without a stack trace, and exits 1.
 */
export class StartupError extends Error {}
