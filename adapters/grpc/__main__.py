"""`python -m adapters.grpc serve …` runs the service (same as `credit-policy serve`)."""

from adapters.grpc.command import main

if __name__ == "__main__":
    main()
