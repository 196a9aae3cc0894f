"""`device serve` says at start when rounds could not adapt the model it was given."""

from transformers import CTRLConfig, CTRLLMHeadModel, LlamaConfig, LlamaForCausalLM

from fedhybrid.commands.device import not_adaptable


def test_a_model_with_no_known_lora_targets_is_named_at_start():
    """A CTRL model served, and each round's reply failed on it: the agent now says so at start."""
    ctrl = CTRLLMHeadModel(CTRLConfig(vocab_size=64, n_positions=32, n_embd=16, dff=32, n_layer=1, n_head=2))
    reason = not_adaptable(ctrl)
    assert reason is not None and "model type 'ctrl'" in reason and "Wq" in reason
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32))
    assert not_adaptable(llama) is None
