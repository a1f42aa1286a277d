// The README is part of the contract: its error table must list exactly the codes the SDK throws,
// and the commands it promises must exist in package.json.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from './harness.js';
import { ERROR_CODES } from '../src/errors.js';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const readme = readFileSync(root('README.md'), 'utf8');

describe('README', () => {
  it('documents every MmdError code in its error table, and no others', () => {
    const documented = [...readme.matchAll(/^\|\s*`(ERR_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]);
    expect([...documented].sort()).to.deep.equal([...ERROR_CODES].sort());
  });

  it('gives the two commands, and package.json has them', () => {
    expect(readme).to.contain('npm install && npm start');
    expect(readme).to.contain('npm test');
    const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8'));
    expect(pkg.scripts).to.have.property('start');
    expect(pkg.scripts).to.have.property('test');
  });

  it('npm scripts use no shell-only commands (they must run on Windows)', () => {
    const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8'));
    for (const [name, script] of Object.entries<string>(pkg.scripts)) {
      expect(script, name).not.to.match(/\brm\s+-|\bcp\s|\bmv\s|\bexport\s|\$\(|`|\benv\s+\w+=|^\w+=\S+\s/);
      expect(script, name).not.to.match(/(^|\s)&(\s|$)|;\s/);
    }
  });
});
