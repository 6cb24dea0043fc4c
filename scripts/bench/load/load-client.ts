/** Child process entry: the load generator, commanded by the bench (`load` → a LoadResult). */
import { serveParent } from './child.ts';
import { runHttpLoad, type LoadOptions } from './http-load.ts';

serveParent(
  { pid: process.pid },
  {
    load: (arg) => runHttpLoad(arg as LoadOptions),
    stop: () => {
      setImmediate(() => process.exit(0));
    },
  },
);
