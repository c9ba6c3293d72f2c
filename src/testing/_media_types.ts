/**
 * The media types kube-apiserver reads and writes its objects in: what the
 * fake API server accepts in a request body and negotiates for an answer.
 * Private to the fake API server.
 *
 * @module
 */

/** JSON, YAML and protobuf, in the real server's order. */
export const SERIALIZED = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
