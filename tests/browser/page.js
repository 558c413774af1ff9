// Runs in the browser, on a page served from another origin than ivs-local: creates a channel
// and lists channels with the AWS SDK for JavaScript v3, then shows what it got in
// <pre id="result"> (or the error in <pre id="error">) for tests/browser.rs to read from the
// DOM. Everything it needs comes in the page's query: ?endpoint=...&name=...
import { CreateChannelCommand, IvsClient, ListChannelsCommand } from "@aws-sdk/client-ivs";

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
  return {
    channelArn: created.channel.arn,
    streamKey: created.streamKey.value,
    requestId: created.$metadata.requestId,
    listed: listed.channels.map((c) => ({ arn: c.arn, name: c.name })),
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
