#!/usr/bin/env bash
# Generates libs/ranking/src/generated from libs/ranking/proto with ts-proto (needs protoc: Debian package
# protobuf-compiler). CI runs it and fails when the checked-in files differ.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=libs/ranking/src/generated
rm -rf "$out" && mkdir -p "$out"
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,useOptionals=messages,forceLong=number,env=node,useExactTypes=false \
  -I libs/ranking/proto \
  libs/ranking/proto/crest/ranking/v1/ranking.proto
npx prettier --write "$out" >/dev/null
