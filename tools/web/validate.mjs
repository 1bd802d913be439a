// Validate .glb/.gltf files with the Khronos glTF validator (npm gltf-validator).
//   node tools/web/validate.mjs FILE.glb [FILE.glb ...]
// Prints a JSON list, one summary per file: counts of errors, warnings, infos and hints,
// the issues counted by code, and the messages (severity 0 error, 1 warning, 2 info, 3 hint).
// Exit code 1 when any file has an error, 2 for a missing argument or file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import validator from 'gltf-validator';

const MAX_ISSUES = 1000;
const SEVERITY = ['error', 'warning', 'info', 'hint'];

async function validate(file) {
  const bytes = new Uint8Array(await readFile(file));
  const report = await validator.validateBytes(bytes, {
    uri: path.basename(file),
    maxIssues: MAX_ISSUES,
    externalResourceFunction: (uri) =>
      readFile(path.resolve(path.dirname(file), decodeURIComponent(uri))).then((b) => new Uint8Array(b)),
  });
  const issues = report.issues;
  const codes = {};
  for (const m of issues.messages) codes[m.code] = (codes[m.code] || 0) + 1;
  return {
    file,
    validator: report.validatorVersion,
    errors: issues.numErrors,
    warnings: issues.numWarnings,
    infos: issues.numInfos,
    hints: issues.numHints,
    truncated: issues.truncated,
    codes,
    messages: issues.messages.map((m) => ({
      severity: SEVERITY[m.severity], code: m.code, message: m.message, pointer: m.pointer,
    })),
    info: report.info,
  };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node tools/web/validate.mjs FILE.glb [FILE.glb ...]');
  process.exit(2);
}
const summaries = [];
for (const file of files) {
  try {
    summaries.push(await validate(file));
  } catch (err) {
    console.error(`validate.mjs: ${file}: ${err.code === 'ENOENT' ? 'no such file' : err}`);
    process.exit(2);
  }
}
console.log(JSON.stringify(summaries, null, 1));
process.exit(summaries.some((s) => s.errors > 0) ? 1 : 0);
