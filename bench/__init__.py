"""`make bench`: cold starts, DynamoDB requests per operation, throughput, parsing and package size,
each measured against its budget and, where one exists, a floor measured in the same run."""
