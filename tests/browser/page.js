// Runs in the browser, on a page served from another origin than ivs-local: creates a channel,
// lists channels and asks for a channel that does not exist, with the AWS SDK for JavaScript
// v3, then shows what it got in <pre id="result"> (or the error in <pre id="error">) for
// tests/browser.rs to read from the DOM. Its input comes in the query: ?endpoint=...&name=...
import {
  CreateChannelCommand,
  GetChannelCommand,
  IvsClient,
  ListChannelsCommand,
} from "@aws-sdk/client-ivs";

const query = new URLSearchParams(location.search);

async function run() {
  const client = new IvsClient({
    endpoint: query.get("endpoint"),
    region: "us-west-2",
    // A 12-digit access key id is the account to ivs-local; the secret is never checked.
    credentials: { accessKeyId: "123456789012", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const created = await client.send(
    new CreateChannelCommand({ name: query.get("name"), tags: { from: "browser" } }),
  );
  const listed = await client.send(new ListChannelsCommand({}));
  // IVS's error body names no error type (no `__type` or `code`): the SDK learns it from
  // `x-amzn-ErrorType`, which the browser lets it read only if the answer exposes it.
  const missing = created.channel.arn.replace(/channel\/.*/, "channel/abcdABCDefgh");
  const notFound = await client.send(new GetChannelCommand({ arn: missing })).then(
    () => ({ name: "no error" }),
    (e) => ({
      name: e.name,
      status: e.$metadata?.httpStatusCode,
      requestId: e.$metadata?.requestId,
    }),
  );
  return {
    channelArn: created.channel.arn,
    streamKey: created.streamKey.value,
    requestId: created.$metadata.requestId,
    listed: listed.channels.map((c) => ({ arn: c.arn, name: c.name })),
    notFound,
  };
}

function show(id, value) {
  const pre = document.createElement("pre");
  pre.id = id;
  pre.textContent = JSON.stringify(value);
  document.body.append(pre);
}

run().then(
  (result) => show("result", result),
  // What a script sees of a refused request: the SDK's error name, message and request id.
  (e) => show("error", { name: e.name, message: e.message, requestId: e.$metadata?.requestId }),
);
