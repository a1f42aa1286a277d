// Character codes the codecs compare against. This module imports nothing: esbuild inlines a
// module's constants into the code that uses them only then (issue 14's size budgets).
export const LF = 0x0a;
export const CR = 0x0d;
export const PIPE = 0x7c;
