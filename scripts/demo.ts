/**
 * `npm run demo [-- --keep]`: the whole story of one contract on a private chain (see
 * scripts/demo/story.ts). Exit status: 0 when every milestone settled as the terms say, 1
 * otherwise (the reason is printed last).
 */
import { runDemo } from './demo/story.ts';

const keep = process.argv.includes('--keep');
const result = await runDemo({ line: (text) => console.log(text) }, { keep });
if (!result.ok) {
  console.error(`demo failed: ${result.problems.join('; ')}`);
  process.exitCode = 1;
}
