// The Node.js realistic contestant of the cold-start war. At init: parses config.json, hashes it
// (SHA-256, node:crypto), builds an HTTP client (a keep-alive https.Agent) and an S3 client of the
// AWS SDK for JavaScript v3 (configuration, credentials provider chain, retry policy); no request
// is sent. Per Invocation: parses the event, hashes it and answers
// {language, region, keys, eventSha256, configSha256}.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";

const text = readFileSync(
  join(process.env.LAMBDA_TASK_ROOT ?? ".", "config.json"),
);
const config = JSON.parse(text.toString("utf8"));
const configSha256 = createHash("sha256").update(text).digest("hex");

const agent = new Agent({
  keepAlive: config.http.keepAlive,
  maxSockets: config.http.maxConnections,
});
const s3 = new S3Client({
  region: config.region,
  endpoint: config.endpoint,
  requestHandler: new NodeHttpHandler({
    httpsAgent: agent,
    connectionTimeout: config.http.connectTimeoutMs,
    requestTimeout: config.http.readTimeoutMs,
  }),
  retryStrategy: new ConfiguredRetryStrategy(
    config.retry.maxAttempts,
    (attempt) => config.retry.baseDelayMs * 2 ** attempt,
  ),
});
const region = await s3.config.region();

export const handler = async (event) => {
  // The runtime hands over the parsed event; hash its compact form (the bytes as sent for
  // compact JSON), parsed again as a function that received a string would.
  const body = JSON.stringify(event);
  const parsed = JSON.parse(body);
  const keys =
    parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? Object.keys(parsed).length
      : 0;
  return {
    language: "nodejs",
    region,
    keys,
    eventSha256: createHash("sha256").update(body).digest("hex"),
    configSha256,
  };
};
