export const SQS = Symbol('SQS');
/** An SQSClient whose request timeout outlives a 20 s long poll: consumers and nothing else. */
export const SQS_LONG_POLL = Symbol('SQS_LONG_POLL');
export const DYNAMODB = Symbol('DYNAMODB');
/** DynamoDBDocumentClient over DYNAMODB: native JS values in and out. */
export const DYNAMODB_DOC = Symbol('DYNAMODB_DOC');
