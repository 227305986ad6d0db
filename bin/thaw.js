#!/usr/bin/env node
// The installed entry point: runs the bundled CLI that `npm run build` (and the set-up) produces.
import "../dist/bundle/thaw.mjs";
