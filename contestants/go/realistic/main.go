// Command realistic is the Go realistic contestant of the cold-start war. At init it parses
// config.json, hashes it (SHA-256), builds an HTTP client and an S3 client of the AWS SDK for Go v2
// (configuration, credentials provider chain, retry policy); no request is sent. Per Invocation it
// parses the event, hashes it and answers {language, region, keys, eventSha256, configSha256}.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type settings struct {
	Region   string `json:"region"`
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
	Retry    struct {
		Mode        string `json:"mode"`
		MaxAttempts int    `json:"maxAttempts"`
		BaseDelayMs int    `json:"baseDelayMs"`
	} `json:"retry"`
	HTTP struct {
		ConnectTimeoutMs int  `json:"connectTimeoutMs"`
		ReadTimeoutMs    int  `json:"readTimeoutMs"`
		KeepAlive        bool `json:"keepAlive"`
		MaxConnections   int  `json:"maxConnections"`
	} `json:"http"`
}

type answer struct {
	Language     string `json:"language"`
	Region       string `json:"region"`
	Keys         int    `json:"keys"`
	EventSha256  string `json:"eventSha256"`
	ConfigSha256 string `json:"configSha256"`
}

var (
	conf         settings
	configSha256 string
	httpClient   *http.Client
	s3Client     *s3.Client
)

func initialise(ctx context.Context) error {
	root := os.Getenv("LAMBDA_TASK_ROOT")
	if root == "" {
		root = "."
	}
	text, err := os.ReadFile(filepath.Join(root, "config.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(text, &conf); err != nil {
		return fmt.Errorf("config.json: %w", err)
	}
	digest := sha256.Sum256(text)
	configSha256 = hex.EncodeToString(digest[:])

	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: time.Duration(conf.HTTP.ConnectTimeoutMs) * time.Millisecond}).DialContext,
		MaxIdleConnsPerHost: conf.HTTP.MaxConnections,
		DisableKeepAlives:   !conf.HTTP.KeepAlive,
		ForceAttemptHTTP2:   true,
	}
	httpClient = &http.Client{Transport: transport, Timeout: time.Duration(conf.HTTP.ReadTimeoutMs) * time.Millisecond}

	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(conf.Region),
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = conf.Retry.MaxAttempts
				o.MaxBackoff = time.Duration(conf.Retry.BaseDelayMs) * time.Millisecond * 32
			})
		}),
	)
	if err != nil {
		return err
	}
	s3Client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(conf.Endpoint)
	})
	return nil
}

func handle(_ context.Context, event json.RawMessage) (answer, error) {
	var parsed any
	if err := json.Unmarshal(event, &parsed); err != nil {
		return answer{}, err
	}
	keys := 0
	if object, ok := parsed.(map[string]any); ok {
		keys = len(object)
	}
	digest := sha256.Sum256(event)
	return answer{
		Language:     "go",
		Region:       s3Client.Options().Region,
		Keys:         keys,
		EventSha256:  hex.EncodeToString(digest[:]),
		ConfigSha256: configSha256,
	}, nil
}

func main() {
	if err := initialise(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "init:", err)
		os.Exit(1)
	}
	lambda.Start(handle)
}
