// Command hello is the Go hello contestant of the cold-start war: it returns the event unchanged,
// on the official github.com/aws/aws-lambda-go library.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func echo(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
	return event, nil
}

func main() {
	lambda.Start(echo)
}
