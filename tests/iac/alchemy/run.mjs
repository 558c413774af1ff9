// Alchemy's Cloud Control resources (`alchemy/aws/control`) against ivs-local, one step per run:
//
//   node run.mjs up | update | invalid | destroy | check-empty
//
// `tests/alchemy.rs` runs the steps in order against its own server and checks the server
// between them. Each step prints one `RESULT <json>` line on success and exits non-zero on
// failure. Alchemy's state lives in IVS_LOCAL_ALCHEMY_ROOT (a temp dir); the endpoint comes
// from AWS_ENDPOINT_URL_CLOUDCONTROLAPI, credentials and region from the usual AWS_* variables.

import alchemy from "alchemy";
import AWS, { createCloudControlClient } from "alchemy/aws/control";
import { readdir } from "node:fs/promises";
import path from "node:path";

const APP = "ivs-local-alchemy";
const STAGE = "test";
// Every AWS::IVS::* type but StreamKey, which lists per channel (and no channel is left).
const IVS_TYPES = [
  "Channel",
  "RecordingConfiguration",
  "PlaybackKeyPair",
  "PlaybackRestrictionPolicy",
  "Stage",
  "StorageConfiguration",
  "EncoderConfiguration",
  "PublicKey",
  "IngestConfiguration",
];

const rootDir = process.env.IVS_LOCAL_ALCHEMY_ROOT;
if (!rootDir) fail("IVS_LOCAL_ALCHEMY_ROOT must name a directory for Alchemy's state");

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) fail(message);
}

function result(value) {
  console.log(`RESULT ${JSON.stringify(value)}`);
}

function app(phase) {
  return alchemy(APP, { phase, stage: STAGE, rootDir, noTrack: true });
}

// The resources as the program declares them; `updated` is the second version of the program.
async function declare(updated) {
  const recording = await AWS.IVS.RecordingConfiguration("recording", {
    Name: "alchemy-recordings",
    DestinationConfiguration: { S3: { BucketName: "my-video-recordings" } },
    // Immutable (create-only): a new window replaces the configuration, and the channel
    // follows the new ARN before Alchemy deletes the old one.
    RecordingReconnectWindowSeconds: updated ? 60 : 30,
    RenditionConfiguration: { RenditionSelection: "CUSTOM", Renditions: ["HD", "SD"] },
    ThumbnailConfiguration: {
      RecordingMode: "INTERVAL",
      TargetIntervalSeconds: 30,
      Resolution: "SD",
      Storage: ["LATEST"],
    },
  });
  // Tags in key order, the order Cloud Control reads them back in. Alchemy patches a list by
  // index, computed from its own previous list, and Cloud Control applies that index to the
  // list it reads back (as on AWS), so a list in another order would patch the wrong tag.
  const stage = await AWS.IVS.Stage("stage", {
    Name: updated ? "example-ivs-stage-renamed" : "example-ivs-stage",
    Tags: updated
      ? [
          { Key: "owner", Value: "alchemy" },
          { Key: "team", Value: "streaming" },
        ]
      : [
          { Key: "env", Value: "test" },
          { Key: "team", Value: "video" },
        ],
  });
  const channel = await AWS.IVS.Channel("channel", {
    Name: "alchemy-channel",
    LatencyMode: updated ? "NORMAL" : "LOW",
    Type: "STANDARD",
    RecordingConfigurationArn: recording.Arn,
    Tags: [{ Key: "app", Value: APP }],
  });
  return { recording, stage, channel };
}

function summary({ recording, stage, channel }) {
  const pick = (r, ...keys) => Object.fromEntries(keys.map((k) => [k, r[k]]));
  return {
    recording: pick(recording, "id", "Arn", "State", "Name", "RecordingReconnectWindowSeconds"),
    stage: pick(stage, "id", "Arn", "Name", "Tags"),
    channel: pick(channel, "id", "Arn", "Name", "LatencyMode", "RecordingConfigurationArn"),
  };
}

async function up(updated) {
  const scope = await app("up");
  const made = await declare(updated);
  await scope.finalize();
  check(made.recording.State === "ACTIVE", `recording state ${made.recording.State}`);
  check(made.channel.RecordingConfigurationArn === made.recording.Arn, "channel records");
  result(summary(made));
}

// The resources Alchemy still tracks in its state store for the stage.
async function tracked() {
  const dir = path.join(rootDir, ".alchemy", APP, STAGE);
  const files = await readdir(dir).catch(() => []);
  return files.filter((f) => f.endsWith(".json"));
}

async function checkEmpty() {
  const client = await createCloudControlClient();
  const left = {};
  for (const type of IVS_TYPES) {
    const typeName = `AWS::IVS::${type}`;
    const page = await client.listResources(typeName);
    if (page.ResourceDescriptions.length > 0) {
      left[typeName] = page.ResourceDescriptions.map((d) => d.Identifier);
    }
  }
  const state = await tracked();
  check(Object.keys(left).length === 0, `left on the server: ${JSON.stringify(left)}`);
  check(state.length === 0, `left in Alchemy's state: ${state.join(", ")}`);
  result({ left, state });
}

// Alchemy's documented RecordingConfiguration examples, as its docs write them (camel-case
// properties, S3 `prefix` and `roleArn`, renditions as objects), then with the schema's
// property case: both are refused, and Alchemy must surface Cloud Control's message.
async function invalid() {
  const scope = await app("up");
  const examples = {
    documented: {
      destinationConfiguration: {
        s3: {
          bucketName: "my-advanced-video-recordings",
          prefix: "advanced_recordings/",
          roleArn: "arn:aws:iam::123456789012:role/IVSAdvancedRecordingRole",
        },
      },
      renditionConfiguration: {
        renditions: [
          { resolution: "1280x720", framerate: 30, bitrate: 3000 },
          { resolution: "640x360", framerate: 30, bitrate: 800 },
        ],
      },
    },
    pascalCase: {
      DestinationConfiguration: {
        S3: {
          BucketName: "my-advanced-video-recordings",
          Prefix: "advanced_recordings/",
          RoleArn: "arn:aws:iam::123456789012:role/IVSAdvancedRecordingRole",
        },
      },
      RenditionConfiguration: {
        Renditions: [
          { Resolution: "1280x720", Framerate: 30, Bitrate: 3000 },
          { Resolution: "640x360", Framerate: 30, Bitrate: 800 },
        ],
      },
    },
  };
  const errors = {};
  for (const [name, props] of Object.entries(examples)) {
    try {
      await AWS.IVS.RecordingConfiguration(name, props);
    } catch (error) {
      errors[name] = { name: error.constructor.name, message: error.message };
      continue;
    }
    fail(`the ${name} example was accepted`);
  }
  // A failed resource leaves the scope in error: finalize skips its orphan sweep.
  await scope.finalize();
  result(errors);
}

async function destroy() {
  // Alchemy's destroy phase exits the process itself (status 0, even when a delete failed
  // and was logged), so `check-empty` runs next to see what it left.
  await app("destroy");
  fail("alchemy's destroy phase returned instead of exiting");
}

const steps = {
  up: () => up(false),
  update: () => up(true),
  destroy,
  "check-empty": checkEmpty,
  invalid,
};
const step = steps[process.argv[2]];
if (!step) fail(`unknown step ${process.argv[2]}; one of ${Object.keys(steps).join(", ")}`);
try {
  await step();
} catch (error) {
  fail(error?.stack ?? String(error));
}
