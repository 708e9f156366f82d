# ruff: noqa  (written the way PyTorch programs are, not in this project's style)
"""nanoGPT's attention, optimizer set-up, training step and sampling, in its own
words, with only the imports pointed at chainrule."""
import math
import chainrule as torch
import chainrule.nn as nn
from chainrule.nn import functional as F

class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=False)
        self.n_head, self.n_embd = n_head, n_embd
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))
    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:,:,:T,:T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y2 = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=True)
        assert torch.allclose(y, y2, atol=1e-5)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

torch.manual_seed(0)
m = nn.ModuleDict(dict(wte=nn.Embedding(20, 16), attn=CausalSelfAttention(16, 2, 8), ln=nn.LayerNorm(16, bias=False), head=nn.Linear(16, 20, bias=False)))
for pn, p in m.named_parameters():
    if pn.endswith('c_proj.weight'):
        torch.nn.init.normal_(p, mean=0.0, std=0.02/math.sqrt(2 * 2))
print("params", sum(p.numel() for p in m.parameters()))
decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
nodecay = [p for n, p in m.named_parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': nodecay, 'weight_decay': 0.0}], lr=1e-2, betas=(0.9, 0.95))
scaler = torch.cuda.amp.GradScaler(enabled=False)
idx = torch.randint(20, (4, 8)); targets = torch.randint(20, (4, 8))
for it in range(30):
    pos = torch.arange(0, 8, dtype=torch.long)
    x = m['wte'](idx)
    x = x + m['attn'](m['ln'](x))
    logits = m['head'](x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    scaler.step(opt); scaler.update(); opt.zero_grad(set_to_none=True)
print(f"loss {loss.item():.4f}")
with torch.no_grad():
    logits = logits[:, -1, :] / 0.8
    v, _ = torch.topk(logits, min(5, logits.size(-1)))
    logits[logits < v[:, [-1]]] = -float('Inf')
    probs = F.softmax(logits, dim=-1)
    idx_next = torch.multinomial(probs, num_samples=1)
    idx = torch.cat((idx, idx_next), dim=1)
assert idx.shape == (4, 9) and loss.item() < 1.0
print("OK")
