// Copies the dashboard's static files (web/index.html, web/styles.css) next to its compiled scripts in dist/web.
import { cpSync, mkdirSync } from 'node:fs';

mkdirSync('dist/web', { recursive: true });
for (const file of ['index.html', 'styles.css']) cpSync(`web/${file}`, `dist/web/${file}`);
