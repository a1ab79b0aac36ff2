import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';
import { PAGE } from './page.ts';
import type { Summary } from './summary.ts';

/** Express app: the headline page at /, its JSON at /api/summary, Bull Board at /queues. */
export function createDashboardApp(deps: {
  queues: Queue[];
  summary: () => Promise<Summary>;
}): express.Express {
  const app = express();
  const board = new ExpressAdapter();
  board.setBasePath('/queues');
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q)), serverAdapter: board });
  app.use('/queues', board.getRouter());
  app.get('/', (_req, res) => {
    res.type('html').send(PAGE);
  });
  app.get('/api/summary', (_req, res) => {
    deps
      .summary()
      .then((s) => res.json(s))
      .catch((err: Error) => res.status(503).json({ error: err.message }));
  });
  app.get('/healthz', (_req, res) => {
    res.send('ok');
  });
  return app;
}
