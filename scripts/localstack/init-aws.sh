#!/bin/sh
# LocalStack ready hook (docker-compose.yml): the ingest queue, its dead-letter queue and the table.
set -eu
awslocal sqs create-queue --queue-name platform-ingest-dlq >/dev/null
dlq_arn=$(awslocal sqs get-queue-attributes --queue-url http://localhost:4566/000000000000/platform-ingest-dlq \
  --attribute-names QueueArn --query Attributes.QueueArn --output text)
awslocal sqs create-queue --queue-name platform-ingest \
  --attributes "{\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"5\\\"}\"}" >/dev/null
awslocal dynamodb create-table --table-name platform-ingest \
  --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST >/dev/null
echo "platform-api: queues and table ready"
