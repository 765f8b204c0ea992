// A webhook receiver as a Skybridge user would write one: it checks every delivery with the Standard Webhooks
// reference library and prints what it accepted, one JSON line each. Usage:
//   WEBHOOK_SECRET=whsec_... node receiver.mjs PORT [FAIL_FIRST]
// FAIL_FIRST: answer 503 to that many deliveries first (a receiver that is down for a while).
import http from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.argv[2]);
let failFirst = Number(process.argv[3] ?? "0");
const webhook = new Webhook(process.env.WEBHOOK_SECRET);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const id = req.headers["webhook-id"];
    if (failFirst > 0) {
      failFirst--;
      console.log(JSON.stringify({ unavailable: id }));
      res.writeHead(503).end();
      return;
    }
    try {
      const payload = webhook.verify(body, req.headers);
      console.log(JSON.stringify({ id, type: payload.type, payload }));
      res.writeHead(204).end();
    } catch (e) {
      console.log(JSON.stringify({ rejected: id, error: String(e.message) }));
      res.writeHead(401).end();
    }
  });
});
server.listen(port, "127.0.0.1", () => console.log(JSON.stringify({ listening: port })));
