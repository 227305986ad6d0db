#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (`npm run build` or the set-up script produces it).
import "../dist/src/cli/main.js";
