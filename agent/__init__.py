"""The device agent: a long-running process that answers its users through the OpenAI API
(`agent.app`, over the shared `serving.http_app` layer), journals every correction durably
(`journal`), serves from versioned deployments it swaps without dropping a request
(`engine`, `deployment`), and takes part in federated rounds when the ClientApp asks
(`sync`, over the msgpack messages of `wire`). As a hub it keeps the server's signed cache
updates for the tier below, and as a device below it fetches and checks them (`relay`).

Must not import: flwr, or our server/, clients/, fleet/, training/, fedhybrid/ (rounds reach
the agent as plain messages; the Flower side lives in clients/).
"""
