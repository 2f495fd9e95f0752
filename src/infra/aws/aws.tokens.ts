export const SQS = Symbol('SQS');
export const DYNAMODB = Symbol('DYNAMODB');
/** DynamoDBDocumentClient over DYNAMODB: native JS values in and out. */
export const DYNAMODB_DOC = Symbol('DYNAMODB_DOC');
