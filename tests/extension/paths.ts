import * as path from "node:path";

// Bundled tests run from out/tests/<tier>/, two levels under the repository.
export const repoRoot = path.resolve(__dirname, "..", "..", "..");
export const venvPython = path.join(repoRoot, ".venv", "bin", "python");
