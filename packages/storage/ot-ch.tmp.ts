import { startClickHouse } from '@bitcrawl/testkit';
const s = await startClickHouse();
console.log(s.url);
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', async () => { await s.stop(); process.exit(0); });
