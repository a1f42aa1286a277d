// The one generator: every generated file of the repository, from protocol/messages.json (the
// catalog data), protocol/messages.md and real-client/transcripts.md (prose and recordings) and
// src/catalog/kinds.ts (what each argument type means).
//
//   npm run gen               write the files that changed
//   npm run gen -- --check    write nothing; list stale files and exit 1 (part of npm test)
//   --root=<dir>              read and write <dir> instead of the repository (for tests)
//
// Outputs:
//   src/catalog/types.ts     MessageArgsMap, CommandType, EventType, AgentEvent... (types only)
//   src/catalog/commands.ts  one builder per command form
//   src/catalog/table.ts     the packed table parseEvent reads, and each letter's reader
//   src/catalog/spec.ts      the full entries, for tests and tools (not exported from the entry)
//   docs/messages.md         one section per message, with what the real app did
//   playground/catalog.js    the composer's forms as page data
import { writeFileSync } from 'node:fs';
import { commandsTs, playgroundJs, specTs, tableTs, typesTs } from './gen/code.js';
import { read, root } from './gen/data.js';
import { docsMd } from './gen/docs.js';

const outputs: Record<string, string> = {
  'src/catalog/types.ts': typesTs(),
  'src/catalog/commands.ts': commandsTs(),
  'src/catalog/table.ts': tableTs(),
  'src/catalog/spec.ts': specTs(),
  'docs/messages.md': docsMd(),
  'playground/catalog.js': playgroundJs(),
};

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [file, text] of Object.entries(outputs)) {
  let old = '';
  try {
    old = read(file);
  } catch {
    // not generated yet
  }
  if (old === text) continue;
  stale.push(file);
  if (!check) {
    writeFileSync(root + file, text);
    console.log(`wrote ${file}`);
  }
}
if (check && stale.length) {
  console.error(
    `Generated files are out of date with protocol/messages.json or src/catalog/kinds.ts:\n` +
      stale.map((f) => `  ${f}\n`).join('') +
      'Run `npm run gen` and commit the result.',
  );
  process.exit(1);
}
