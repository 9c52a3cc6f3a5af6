#!/usr/bin/env node
// Lists what each feature folder of src/ imports and fails (exit 1) on a cycle between feature folders
// (src/a/ → src/b/ → src/a/, subfolders counted with their folder) or on a rule of .dependency-cruiser.cjs
// (file cycles, a feature importing src/realtime, the bus or the contract importing a feature).
// Files directly in src/ (main.ts, app.module.ts, app.factory.ts) compose the app: shown as "(app)".
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = fileURLToPath(new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url));
let json;
try {
  json = execFileSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
} catch (error) {
  // depcruise exits non-zero when a rule is broken; its JSON is still on stdout.
  if (!error.stdout) throw error;
  json = error.stdout;
}
const result = JSON.parse(json);

const folderOf = (file) => {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : '(app)';
};

/** folder → folder → the imports (from → to) behind that edge */
const edges = new Map();
for (const module of result.modules) {
  if (!module.source.startsWith('src/')) continue;
  for (const dependency of module.dependencies) {
    if (!dependency.resolved.startsWith('src/')) continue;
    const from = folderOf(module.source);
    const to = folderOf(dependency.resolved);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const targets = edges.get(from);
    if (!targets.has(to)) targets.set(to, []);
    targets.get(to).push(`${module.source} → ${dependency.resolved}`);
  }
}
const folders = [...new Set(result.modules.filter((m) => m.source.startsWith('src/')).map((m) => folderOf(m.source)))].sort();

console.log(`src/ feature folders and the folders they import (${result.summary.totalCruised} modules, specs left out):`);
for (const folder of folders) {
  const targets = [...(edges.get(folder)?.keys() ?? [])].sort();
  console.log(`  ${folder.padEnd(13)} → ${targets.length > 0 ? targets.join(', ') : '(nothing in src)'}`);
}

// Strongly connected components of the folder graph (Tarjan): any with two or more folders is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
let counter = 0;
function connect(folder) {
  index.set(folder, counter);
  low.set(folder, counter);
  counter++;
  stack.push(folder);
  onStack.add(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!index.has(next)) {
      connect(next);
      low.set(folder, Math.min(low.get(folder), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(folder, Math.min(low.get(folder), index.get(next)));
    }
  }
  if (low.get(folder) === index.get(folder)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const folder of folders) if (!index.has(folder)) connect(folder);

/** The shortest way from `start` back to itself inside one component. */
function shortestCycle(start, component) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const folder = queue.shift();
    for (const next of edges.get(folder)?.keys() ?? []) {
      if (!component.includes(next)) continue;
      if (next === start) {
        const path = [folder];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, folder);
        queue.push(next);
      }
    }
  }
  return [start];
}

const SHOWN_IMPORTS = 6;
let failures = 0;
for (const component of components) {
  failures++;
  const cycle = shortestCycle(component[0], component);
  const others =
    component.length > cycle.length - 1 ? ` (with ${component.filter((f) => !cycle.includes(f)).join(', ')} in the same knot)` : '';
  console.log(`\nerror folder-cycle: ${cycle.map((f) => `src/${f}/`).join(' → ')}${others}`);
  for (let i = 0; i + 1 < cycle.length; i++) {
    const imports = edges.get(cycle[i]).get(cycle[i + 1]);
    console.log(`  ${cycle[i]} → ${cycle[i + 1]}:`);
    for (const line of imports.slice(0, SHOWN_IMPORTS)) console.log(`    ${line}`);
    if (imports.length > SHOWN_IMPORTS) console.log(`    … and ${imports.length - SHOWN_IMPORTS} more`);
  }
}
for (const violation of result.summary.violations) {
  failures++;
  const via = violation.cycle ? ` (cycle: ${[violation.from, ...violation.cycle.map((step) => step.name)].join(' → ')})` : '';
  console.log(`\n${violation.rule.severity} ${violation.rule.name}: ${violation.from} → ${violation.to}${via}`);
}

console.log(failures === 0 ? '\nNo dependency violations.' : `\n${failures} dependency violation(s).`);
process.exit(failures === 0 ? 0 : 1);
