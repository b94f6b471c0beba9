# %% [markdown]
# # 11 · Rastrear e avaliar um app de GenAI
#
# O MLflow 3 é metade GenAI: a UI abre no modo **GenAI**, e a documentação começa pelo
# rastreamento (tracing) e pela avaliação. Esta lição constrói um pequeno assistente de
# perguntas e respostas sobre um FAQ deste laboratório e faz com ele o que as lições 01–05
# fizeram com os modelos de preços de casas: guarda o que cada requisição fez (um
# *trace*), encontra as lentas e as que falharam, anexa julgamentos a elas, guarda o prompt
# num registro com um alias, liga os traces a uma versão do app e escolhe entre duas versões
# com uma avaliação, não com um exemplo. Tudo roda offline, no servidor de rastreamento do
# laboratório.
#
# **Você vai aprender** o que são o modo GenAI e um trace; a rastrear as etapas de um app com
# `@mlflow.trace` e `mlflow.start_span` (tipos de span, atributos); a buscar traces de
# requisições lentas ou com falha, e a ler uma exceção num span; a logar feedback e
# expectativas (expectations) num trace; a registrar, versionar e dar alias a um prompt e
# carregá-lo pelo alias; a ligar traces a uma versão do app com `mlflow.set_active_model`; a
# avaliar duas versões com `mlflow.genai.evaluate`, scorers prontos e de código, sobre um
# conjunto de avaliação; e quando um juiz LLM é necessário.
#
# **Tempo:** 45 minutos (cerca de 21 para ler, 2 para executar as células, 22 para os três exercícios).
# **Pré-requisitos:** 00–04 (experimentos, execuções, modelos logados, aliases do registro).
#
# **No mapa** (lição 00): o mesmo servidor de rastreamento e os mesmos armazenamentos; um trace é logado ao lado das execuções, um prompt é registrado ao lado dos modelos.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
top_k = 3  # passagens do FAQ que o retriever entrega à etapa de resposta

# %% [markdown]
# ## Modo GenAI, traces e spans
#
# A UI do MLflow tem dois modos, trocados pela chave no alto à esquerda: **Model training**
# (experimentos, execuções, modelos, o registro: lições 01–10) e **GenAI**, o modo em que ela
# abre. O modo GenAI mostra os mesmos experimentos pelo que um app de GenAI deixa para trás: na
# barra à esquerda de um experimento, **Traces**, **Evaluation runs**, **Prompts** e **Agent versions**.
#
# > **Trace** — o rastro de uma requisição a um app, da pergunta que ele recebeu à resposta
# > que deu: entradas, saída, duração, status (OK ou ERROR).
# >
# > **Span** — uma etapa dentro de um trace (buscar passagens, montar o prompt, chamar o
# > modelo), com nome, *tipo* (RETRIEVER, LLM, CHAIN, …), entradas, saídas, *atributos*
# > (qualquer fato que você acrescente: o modelo usado, quantas passagens) e duração própria.
# > Spans se aninham: o primeiro, o *span raiz*, é a própria requisição.
#
# O trace do nosso assistente, quando ele rodar:
#
# ```text
# trace tr-…  (status OK, 12 ms)
# └── ask_faq            CHAIN      pergunta → resposta
#     ├── retrieve       RETRIEVER  pergunta → 3 passagens do FAQ, com suas notas
#     ├── build_prompt   PARSER     pergunta + passagens → prompt
#     └── extract_answer LLM        a etapa de resposta (chat_completion, CHAT_MODEL, com um LLM de verdade)
# ```
#
# Um trace está para uma requisição de GenAI como uma execução (run) está para um
# treinamento; os dois vivem num experimento, no mesmo servidor de rastreamento.
#
# ## O app: um assistente sobre o FAQ do laboratório
#
# `data/lab_faq.csv` traz 40 perguntas e respostas curtas sobre este laboratório e o MLflow,
# em inglês (`data/README.pt-BR.md` diz de onde vêm); por isso as perguntas que fazemos ao app
# também são em inglês. `lab_utils.genai` guarda a maquinaria simples do app, sem MLflow:
# uma busca TF-IDF nas passagens (scikit-learn) e duas etapas de resposta:
#
# - **extrativa** (a padrão): a frase das passagens recuperadas que mais compartilha
#   palavras com peso com a pergunta. Determinística e offline: as saídas guardadas neste
#   notebook vêm dela.
# - **um LLM**, quando você aponta o laboratório para um endpoint compatível com a OpenAI
#   antes de iniciar o JupyterLab: `LAB_LLM_BASE_URL` (p. ex. `http://localhost:11434/v1`
#   para um Ollama local), e opcionalmente `LAB_LLM_MODEL` (padrão `llama3.2`) e
#   `LAB_LLM_API_KEY`. Ele é chamado por HTTP com `httpx`, que o laboratório já tem; o pacote
#   `openai`, e portanto `mlflow.openai.autolog()`, não está instalado, então a chamada
#   recebe um span que nós mesmos escrevemos.
#
# A próxima célula diz qual caminho roda aqui.

# %% tags=["nbval-check-output"]
import mlflow
from mlflow.entities import Document, SpanType

from lab_utils import genai as faq_app

# No Jupyter, o MLflow mostra os traces de cada célula abaixo dela, num quadro da UI. Aqui os lemos
# do servidor; apague esta linha para vê-los na própria célula.
mlflow.tracing.disable_notebook_display()
faq = faq_app.load_faq()
index = faq_app.FaqIndex(faq)
llm = faq_app.llm_settings()
print(f"{len(faq)} passagens do FAQ, temas {sorted(faq['topic'].unique())}")
print("etapa de resposta:", f"um LLM, {llm.model} em {llm.base_url}" if llm else "extrativa (LAB_LLM_BASE_URL não está definida)")

# %% [markdown]
# ## Rastreando o app: `@mlflow.trace` e `mlflow.start_span`
#
# `@mlflow.trace` transforma cada chamada de uma função num span: os argumentos viram as
# entradas do span, o valor de retorno as saídas, uma exceção o seu erro. Chamado dentro de
# outra função rastreada, o span se aninha sob ela. `mlflow.start_span` rastreia um bloco de
# código em vez de uma função inteira; dentro dele, `span.set_inputs`, `span.set_outputs` e
# `span.set_attribute(s)` dizem o que o bloco fez. `span_type` diz à UI como mostrar um span:
# as saídas `Document` de um span RETRIEVER aparecem como passagens, as de um span LLM como
# uma chamada de modelo.

# %%
experiment = mlflow.set_experiment("faq_assistant")

PROMPT = ("Answer the question using only the FAQ passages below, in one or two sentences.\n\n"
          "Passages:\n{{passages}}\n\nQuestion: {{question}}")


@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve(question: str, k: int = top_k) -> list[Document]:
    if not question.strip():
        raise ValueError("a pergunta está vazia")
    return [Document(page_content=hit["text"], metadata={"doc_uri": hit["faq_id"], "score": hit["score"]})
            for hit in index.search(question, k)]


def generate(question: str, passages: list[str], template: str = PROMPT, max_sentences: int = 1) -> str:
    with mlflow.start_span(name="build_prompt", span_type=SpanType.PARSER) as span:
        span.set_inputs({"question": question, "passages": len(passages)})
        prompt = template.replace("{{passages}}", "\n".join(passages)).replace("{{question}}", question)
        span.set_outputs({"prompt": prompt})
    if llm is None:
        with mlflow.start_span(name="extract_answer", span_type=SpanType.LLM) as span:
            span.set_inputs({"question": question, "passages": passages})
            span.set_attributes({"answer_step": "extractive", "max_sentences": max_sentences})
            answer = faq_app.extract_answer(index, question, passages, max_sentences)
            span.set_outputs(answer)
    else:
        with mlflow.start_span(name="chat_completion", span_type=SpanType.CHAT_MODEL) as span:
            messages = [{"role": "user", "content": prompt}]
            span.set_inputs({"model": llm.model, "messages": messages})
            span.set_attributes({"answer_step": "llm", "model": llm.model, "base_url": llm.base_url})
            reply = faq_app.chat_completion(llm, messages)
            answer = reply["choices"][0]["message"]["content"]
            span.set_outputs(reply)
    return answer


@mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
def ask_faq(question: str) -> str:
    passages = [doc.page_content for doc in retrieve(question)]
    return generate(question, passages)


print(ask_faq("Which port does Prefect use?"))
trace_id = mlflow.get_last_active_trace_id()

# %% [markdown]
# ### Ponto de verificação: o trace no servidor
#
# Os spans vão para o servidor em segundo plano, para que rastrear não deixe o app lento;
# `flush=True` espera até que estejam lá. O trace tem os quatro spans, aninhados como no desenho.

# %% tags=["nbval-check-output"]
trace = mlflow.get_trace(trace_id, flush=True)
by_id = {span.span_id: span for span in trace.data.spans}
for span in trace.data.spans:
    parent = by_id[span.parent_id].name if span.parent_id else "(raiz)"
    print(f"{span.name:<15} {span.span_type:<10} pai {parent}")
assert trace.info.state == "OK" and [s.name for s in trace.data.spans][0] == "ask_faq", "não é o trace do app"
print("recuperadas:", [doc["metadata"]["doc_uri"] for doc in trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs])

# %% [markdown]
# Na UI, mude para **GenAI**, abra o experimento `faq_assistant` e a aba **Traces**: uma
# linha por requisição, com pergunta, resposta, duração e status. Clique numa para ver seus
# spans como uma árvore, cada um com entradas, saídas e atributos.
#
# ![A aba Traces](../../docs/screenshots/11_traces.png)
#
# (Tirada pelo `make notebooks` depois de todas as lições, exercícios incluídos: a sua lista é menor.)
#
# ## Encontrando requisições lentas e com falha: `mlflow.search_traces`
#
# Vamos mandar ao app as requisições de um dia curto, uma delas vazia por engano. A pergunta
# vazia levanta uma exceção dentro de `retrieve`; `@mlflow.trace` grava a exceção nesse
# span e no span raiz, e a deixa seguir até quem chamou.

# %%
questions = ["Where are artifacts stored?", "How do I stop the lab without losing data?",
             "What is an alias in the registry?", "How do I find slow requests?",
             "Which address does the MLflow tracking server use?", "   ", "What is a span?"]
for question in questions:
    try:
        ask_faq(question)
    except ValueError as error:
        print(f"{question!r} falhou: {error}")

# %% [markdown]
# `mlflow.search_traces` busca traces como `search_runs` busca execuções: dá para filtrar por
# `trace.status`, `trace.execution_time_ms`, `trace.name`, `span.name`, `span.type`, tags e
# avaliações (assessments), e `order_by` ordena. Com `return_type="list"` ele devolve objetos
# `Trace`, com seus spans.

# %% tags=["nbval-ignore-output"]
slowest = mlflow.search_traces(locations=[experiment.experiment_id], filter_string="trace.status = 'OK'",
                               order_by=["execution_time_ms DESC"], max_results=3, return_type="list", flush=True)
for found in slowest:
    print(f"{found.info.execution_duration:>5} ms  {found.data.spans[0].inputs['question']}")
failed = mlflow.search_traces(locations=[experiment.experiment_id], filter_string="trace.status = 'ERROR'",
                              return_type="list")
print(len(failed), "requisição(ões) com falha")

# %% [markdown]
# ### Ponto de verificação: a exceção está no span onde aconteceu
#
# Um span com falha tem status ERROR e um evento `exception` com o tipo e a mensagem da
# exceção (e o stack trace). Aqui o span que falhou é `retrieve`, não a etapa de resposta.

# %% tags=["nbval-check-output"]
errored = [span for span in failed[0].data.spans if span.status.status_code == "ERROR"]
for span in errored:
    event = next(e for e in span.events if e.name == "exception")
    print(f"{span.name:<9} {event.attributes['exception.type']}: {event.attributes['exception.message']}")
assert "retrieve" in {span.name for span in errored}, "a falha não está gravada no span retrieve"

# %% [markdown]
# ## Julgando um trace: feedback e expectativas
#
# Um trace diz o que o app fez, não se acertou. Dois tipos de *assessment* podem ser
# anexados a ele:
#
# - uma **expectativa** (`mlflow.log_expectation`): a verdade para aquela entrada, p. ex. o
#   fato que uma resposta certa deve conter;
# - **feedback** (`mlflow.log_feedback`): um julgamento da saída, vindo de uma pessoa (um
#   joinha numa janela de chat), de código ou de um juiz LLM; um valor e uma justificativa.
#
# A pergunta sobre aliases recuperou uma passagem sobre o registro de *prompts*, e não a do
# Model Registry. Um usuário diz isso; uma regra compara a resposta com o fato esperado; e o
# trace guarda as duas coisas.

# %%
from mlflow.entities import AssessmentSource

alias_trace = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list",
                                   filter_string="trace.status = 'OK'", order_by=["timestamp_ms DESC"],
                                   max_results=50)
alias_trace = next(t for t in alias_trace if t.data.spans[0].inputs["question"] == "What is an alias in the registry?")
answer = alias_trace.data.spans[0].outputs
mlflow.log_expectation(trace_id=alias_trace.info.trace_id, name="expected_fact", value="movable name")
mlflow.log_feedback(trace_id=alias_trace.info.trace_id, name="user_thumbs_up", value=False,
                    source=AssessmentSource(source_type="HUMAN", source_id="learner"),
                    rationale="isto responde sobre prompts, não sobre modelos registrados")
mlflow.log_feedback(trace_id=alias_trace.info.trace_id, name="contains_fact", value="movable name" in answer.lower(),
                    source=AssessmentSource(source_type="CODE", source_id="expected_fact rule"))
print("resposta:", answer)

# %% [markdown]
# ### Ponto de verificação: as avaliações estão no trace

# %% tags=["nbval-check-output"]
judged = mlflow.get_trace(alias_trace.info.trace_id)
for assessment in judged.info.assessments:
    print(f"{type(assessment).__name__:<11} {assessment.name:<15} {assessment.value!s:<13} "
          f"por {assessment.source.source_type}")
assert {"expected_fact", "user_thumbs_up", "contains_fact"} <= {a.name for a in judged.info.assessments}

# %% [markdown]
# Na UI, a página do trace as lista ao lado dos spans, e a tabela Traces ganha uma coluna por
# avaliação. `search_traces` também filtra por elas: `feedback.user_thumbs_up = 'false'`.
#
# ## O registro de prompts
#
# O prompt faz parte do app, e muda com mais frequência que o código. O **registro de
# prompts** guarda prompts como o Model Registry guarda modelos: um nome, versões numeradas
# (cada uma imutável, com uma mensagem de commit) e aliases. `{{question}}` e `{{passages}}`
# são as variáveis do template; o `format(question=..., passages=...)` de um prompt carregado
# as preenche (o `generate` do app as substitui ele mesmo, para aceitar também um texto simples). (Registrar espera até o
# servidor gravar a versão: a linha INFO diz isso.)

# %%
template_v1 = ("Answer the question using only the FAQ passages below, in one or two sentences.\n\n"
               "Passages:\n{{passages}}\n\nQuestion: {{question}}")
existing = mlflow.genai.search_prompts(filter_string="name = 'faq_answer'")
if existing:  # uma reexecução: a versão 1 já existe, e fica como está
    prompt_v1 = mlflow.genai.load_prompt("prompts:/faq_answer/1")
else:
    prompt_v1 = mlflow.genai.register_prompt(name="faq_answer", template=template_v1,
                                             commit_message="primeira versão: uma ou duas frases")
    mlflow.genai.set_prompt_alias("faq_answer", alias="production", version=prompt_v1.version)
print(prompt_v1.uri, "variáveis", sorted(prompt_v1.variables))

# %% [markdown]
# Agora o app carrega o prompt **pelo alias** a cada requisição: mover `production` para
# outra versão muda o que o app usa, sem mudar o código. Um prompt carregado dentro de um
# trace fica ligado a ele: o trace guarda qual versão respondeu. (No caminho extrativo o
# prompt é montado e rastreado, mas a etapa de resposta não o lê: um prompt novo muda o que um
# LLM de verdade recebe, não as respostas extrativas.)

# %%
app_config = {"top_k": top_k, "max_sentences": 1, "prompt_uri": "prompts:/faq_answer@production"}


@mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
def ask_faq(question: str) -> str:
    prompt = mlflow.genai.load_prompt(app_config["prompt_uri"])
    passages = [doc.page_content for doc in retrieve(question, k=app_config["top_k"])]
    return generate(question, passages, prompt.template, app_config["max_sentences"])


print(ask_faq("How do I check that the lab is healthy?"))
prompt_trace = mlflow.get_trace(mlflow.get_last_active_trace_id(), flush=True)

# %% [markdown]
# ### Ponto de verificação: o alias, e a versão do prompt que o trace usou

# %% tags=["nbval-check-output"]
import json

from mlflow import MlflowClient

client = MlflowClient()
production = client.get_prompt_version_by_alias("faq_answer", "production")
linked = json.loads(prompt_trace.info.tags["mlflow.linkedPrompts"])
print("production ->", f"versão {production.version}; o trace usou", linked)
assert {"name": "faq_answer", "version": str(production.version)} in linked, "o trace não usou @production"

# %% [markdown]
# ## Versões do app: `mlflow.set_active_model`
#
# Um app é mais que um arquivo de pesos: código, prompt, configurações. O MLflow 3 dá a ele
# um **modelo logado** como o da lição 01, sem precisar de arquivos:
# `mlflow.set_active_model(name=…)` encontra ou cria o modelo logado com esse nome e liga a
# ele todo trace feito depois. `mlflow.log_model_params` grava nele as configurações da
# versão. Duas versões:
#
# - `faq_assistant-v1`: uma passagem, uma frase — respostas curtas;
# - `faq_assistant-v2`: `top_k` passagens, duas frases — mais contexto, respostas mais longas.
#
# Qual é melhor? Um exemplo não diz: é para isso que serve a avaliação.

# %%
versions = {"faq_assistant-v1": {"top_k": 1, "max_sentences": 1},
            "faq_assistant-v2": {"top_k": top_k, "max_sentences": 2}}
models = {}
for name, settings in versions.items():
    models[name] = mlflow.set_active_model(name=name)
    if not mlflow.get_logged_model(models[name].model_id).params:  # uma reexecução já os encontra lá
        mlflow.log_model_params({key: str(value) for key, value in settings.items()}, model_id=models[name].model_id)
    app_config.update(settings)
    print(f"{name}: {ask_faq('Where does the lab keep run metadata?')}")

# %% [markdown]
# ## Avaliando: um conjunto de dados, scorers, `mlflow.genai.evaluate`
#
# Um **conjunto de avaliação** guarda perguntas (`inputs`) e o que uma resposta certa
# precisa ter (`expectations`): aqui, o fato que ela deve conter e a passagem do FAQ de onde
# deve vir. `mlflow.genai.datasets` o guarda no servidor de rastreamento, no experimento,
# para que toda avaliação leia as mesmas linhas (uma lista de dicts ou um DataFrame também
# servem, mas ficam só no seu notebook). `merge_records` acrescenta linhas, e atualiza as
# cujas entradas ele já tem.

# %%
import pandas as pd

from mlflow.genai import datasets

eval_rows = [
    ("Which port does Prefect use?", "4200", "faq-09"),
    ("Where are the artifacts kept?", "SeaweedFS", "faq-03"),
    ("What does an alias do in the model registry?", "movable name", "faq-24"),
    ("How do I check the lab's health?", "lab doctor", "faq-06"),
    ("What happens if I forget to set MLFLOW_TRACKING_URI?", "mlflow.db", "faq-08"),
    ("How can I log a thousand metrics fast?", "log_batch", "faq-17"),
    ("Which Java do I need for Spark?", "Java 17", "faq-11"),
    ("How do I trace only a block of code?", "start_span", "faq-32"),
    ("Which filter finds failed traces?", "trace.status = 'ERROR'", "faq-33"),
    ("How do I get rid of the data of the lab?", "lab reset", "faq-05"),
    ("What do I run before a script can reach the tracking server?", "lab env", "faq-07"),
    ("Why are stages deprecated?", "aliases", "faq-25"),
]
records = [{"inputs": {"question": q}, "expectations": {"expected_fact": fact, "expected_faq_id": faq_id}}
           for q, fact, faq_id in eval_rows]
found = datasets.search_datasets(experiment_ids=[experiment.experiment_id], filter_string="name = 'faq_eval'")
eval_dataset = found[0] if found else datasets.create_dataset(name="faq_eval", experiment_id=experiment.experiment_id)
eval_dataset.merge_records(records)
print(eval_dataset.dataset_id, len(eval_dataset.to_df()), "linhas")

# %% [markdown]
# Um **scorer** julga uma linha: recebe as `inputs` da linha, as `outputs` do app, as
# `expectations` e o `trace` inteiro, e devolve um valor (um bool, um número, um `Feedback`
# com justificativa). Dois tipos:
#
# - **scorers de código**, Python comum decorado com `@scorer`: os nossos verificam se o
#   retriever achou a passagem esperada (lida do span RETRIEVER), se a resposta contém o fato
#   esperado, e a latência da requisição;
# - **scorers prontos** (built-in): a maioria são *juízes LLM* (seção adiante), mas alguns
#   são regras simples, como `ResponseLength` e `RegexMatch`, e não precisam de modelo.

# %%
from mlflow.entities import Feedback
from mlflow.genai.scorers import ResponseLength, scorer


@scorer
def retrieval_hit(trace, expectations) -> bool:
    retrieved = trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs
    return expectations["expected_faq_id"] in [doc["metadata"]["doc_uri"] for doc in retrieved]


@scorer
def contains_fact(outputs, expectations) -> bool:
    return expectations["expected_fact"].lower() in str(outputs).lower()


@scorer
def latency_ms(trace) -> Feedback:
    return Feedback(value=trace.info.execution_duration, rationale="a duração da requisição, em ms")


scorers = [retrieval_hit, contains_fact, latency_ms, ResponseLength(max_length=200)]

# %% [markdown]
# `mlflow.genai.evaluate` chama o app (`predict_fn`) em cada linha, com as entradas da linha
# como argumentos nomeados, rastreia cada chamada, aplica os scorers, anexa os resultados aos
# traces como feedback e loga as médias como métricas de uma **execução de avaliação**. Com
# `model_id`, a execução e seus traces ficam ligados àquela versão do app. (Ele imprime
# linhas INFO sobre o modelo ativo e o rastreamento. Fora do laboratório, mostra também uma
# barra de progresso e um botão com link para os resultados; o laboratório os desliga, como
# `connect()` desliga os links das execuções, e o ponto de verificação imprime um link para as
# duas avaliações.) Cada avaliação leva alguns segundos.

# %%
def evaluate_version(name: str):
    app_config.update(versions[name])
    mlflow.set_active_model(model_id=models[name].model_id)
    with mlflow.start_run(run_name=f"evaluate_{name}"):
        return mlflow.genai.evaluate(data=eval_dataset, predict_fn=ask_faq, scorers=scorers,
                                     model_id=models[name].model_id)


results = {"faq_assistant-v1": evaluate_version("faq_assistant-v1")}

# %%
results["faq_assistant-v2"] = evaluate_version("faq_assistant-v2")

# %% [markdown]
# ### Ponto de verificação: duas execuções de avaliação, suas métricas e os traces de cada versão
#
# `traces` conta todo trace ligado a uma versão: os doze da avaliação dela, mais a requisição
# enviada depois do `set_active_model` acima. (A linha INFO sobre testar a primeira amostra é
# uma conferência que o `evaluate` roda com o tracing desligado: não deixa trace.)

# %%
rows = []
for name, result in results.items():
    metrics = client.get_run(result.run_id).data.metrics
    traces = mlflow.search_traces(locations=[experiment.experiment_id], model_id=models[name].model_id,
                                  return_type="list", flush=True)
    rows.append({"version": name, **{k: round(metrics[f"{k}/mean"], 2) for k in
                 ("retrieval_hit", "contains_fact", "response_length", "latency_ms")}, "traces": len(traces)})
comparison = pd.DataFrame(rows).set_index("version")
assert all(comparison["traces"] >= len(eval_rows)), "faltam traces da avaliação de uma versão"
print("na UI:", f"{lab.tracking_uri}/#/experiments/{experiment.experiment_id}/evaluation-runs")
comparison

# %% [markdown]
# ## Escolhendo uma versão
#
# A regra de decisão, fixada antes de olhar: vence a versão cujas respostas contêm o fato
# esperado mais vezes, por mais de uma linha — com doze linhas, uma linha vale 8 pontos, e
# uma vantagem de uma linha é o que o acaso dá (a régua da lição 02), então conta como
# empate. No empate, os acertos da recuperação decidem e, se também empatarem, fica a versão
# listada primeiro (v1). Tamanho e latência são acompanhados, não usados
# no ranking: `response_length` é a fração de respostas com até 200 caracteres, e a latência
# medida dentro de `evaluate` não é a de uma requisição sozinha: as requisições rodam lado a
# lado e, enquanto a execução de avaliação está ativa, cada `load_prompt` também liga o prompt
# a ela, uma chamada a mais ao servidor por requisição. Um exemplo poderia dar qualquer resultado; doze só
# mostram uma diferença grande: um conjunto de avaliação de verdade precisa de mais.

# %% tags=["nbval-check-output"]
# Uma vantagem de uma linha (8 pontos em doze; arredondamento à parte) é empate: a recuperação decide.
tie = 1.5 / len(eval_rows)
leaders = comparison[comparison["contains_fact"] >= comparison["contains_fact"].max() - tie]
chosen = leaders.sort_values("retrieval_hit", ascending=False, kind="stable").index[0]
print("escolhida:", chosen)
mlflow.set_logged_model_tags(models[chosen].model_id, {"chosen_by": "faq_eval: contains_fact (by over one row), retrieval_hit"})

# %% [markdown]
# Leia o resultado com a mesma régua. A v2 venceu o desempate por um acerto de recuperação (12
# de 12 contra 11), ele mesmo uma diferença de uma linha, e as respostas dela são longas (5 de
# 12 passam de 200 caracteres), enquanto todas as da v1 cabem. Doze linhas não separam essas
# duas versões: a avaliação diz que nenhuma é claramente melhor. A regra foi fixada antes de
# olhar e é mantida — mudá-la depois de ver o resultado é o que ela existe para impedir —,
# então a tag fica na v2; uma equipe aumentaria o conjunto de avaliação antes de trocar de
# versão.
#
# Na UI (modo GenAI), a página **Evaluation runs** do experimento lista as duas execuções; abra uma
# para ver cada pergunta com a resposta, o trace e o veredicto de cada scorer, ou selecione
# as duas para compará-las linha a linha. **Agent versions** (os modelos logados do
# experimento) mostra `faq_assistant-v1` e `-v2` com seus parâmetros e traces ligados.
#
# ## Juízes LLM: quando uma regra não sabe dizer
#
# "Contém o fato esperado" é uma regra que código verifica. "A resposta está *correta*?",
# "está *fundamentada* nas passagens?", "é *relevante* para a pergunta?", "é *segura*?" são
# julgamentos de sentido. Os scorers prontos `Correctness`, `RetrievalGroundedness`,
# `RelevanceToQuery`, `Safety` e `Guidelines` do MLflow, e os juízes que você escreve com
# `mlflow.genai.judges.make_judge`, pedem a um LLM que decida e diga por quê. Eles precisam
# de um modelo (`model="openai:/gpt-4o-mini"`, ou um local atrás de um endpoint compatível
# com a OpenAI), custam uma chamada por linha e também erram: confira-os primeiro contra
# algumas linhas julgadas por pessoas. Este laboratório é offline, então não os executamos aqui.
#
# ## Como isso se liga às lições anteriores
#
# | GenAI | o que reaproveita |
# | --- | --- |
# | trace, no experimento `faq_assistant` | o servidor de rastreamento e os experimentos da lição 01 |
# | versão do app = modelo logado com parâmetros | os modelos logados (`m-…`) da lição 01, sem arquivos |
# | execução de avaliação com métricas | uma execução, comparada como a lição 02 compara execuções |
# | versões de prompt e `@production` | as versões e aliases do registro da lição 04 |
# | escolher pelo conjunto de avaliação | o critério de promoção da lição 10: decidir com dados separados, não com um exemplo |
#
# ## Exercícios
#
# ### Exercício 1
# Acrescente ao app uma etapa que limpa a pergunta antes da recuperação: tire os espaços das
# duas pontas e junte sequências de espaços num só (`" ".join(question.split())`). Rastreie-a
# como um span chamado `clean_question`, do tipo `PARSER`, dentro da requisição `ask_faq`, com
# o atributo `removed_chars`: quantos caracteres a limpeza removeu. O retriever deve receber a
# pergunta limpa. Pergunte ao app `"  Which   port does   Prefect use? "`, encontre o trace
# com `mlflow.search_traces` e coloque o id dele em `exercise_1_trace_id`.

# %% tags=["exercise"]
exercise_1_trace_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# Dentro de um novo `ask_faq`: `with mlflow.start_span(name="clean_question",
# span_type=SpanType.PARSER) as span:` e então `span.set_attribute("removed_chars", ...)`;
# depois `mlflow.search_traces(locations=[...], filter_string="span.name = 'clean_question'",
# return_type="list", flush=True)`.
#
# </details>

# %% tags=["solution"]
@mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
def ask_faq(question: str) -> str:
    with mlflow.start_span(name="clean_question", span_type=SpanType.PARSER) as span:
        cleaned = " ".join(question.split())
        span.set_inputs(question)
        span.set_outputs(cleaned)
        span.set_attribute("removed_chars", len(question) - len(cleaned))
    prompt = mlflow.genai.load_prompt(app_config["prompt_uri"])
    passages = [doc.page_content for doc in retrieve(cleaned, k=app_config["top_k"])]
    return generate(cleaned, passages, prompt.template, app_config["max_sentences"])


ask_faq("  Which   port does   Prefect use? ")
exercise_1_trace_id = mlflow.search_traces(
    locations=[experiment.experiment_id], filter_string="span.name = 'clean_question'",
    order_by=["timestamp_ms DESC"], max_results=1, return_type="list", flush=True)[0].info.trace_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_1_trace_id, "Exercício 1"):
    from lab_utils.grading import lesson_11
    lesson_11.check_exercise_1(exercise_1_trace_id)

# %% [markdown]
# ### Exercício 2
# Registre uma nova versão do prompt `faq_answer` que peça **uma** frase (mantenha as duas
# variáveis, `{{question}}` e `{{passages}}`), mova o alias `production` para ela e mostre que
# o app passa a usá-la: faça qualquer pergunta a `ask_faq` e coloque o id do trace dessa
# requisição em `exercise_2_trace_id`.

# %% tags=["exercise"]
exercise_2_trace_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `mlflow.genai.register_prompt(name="faq_answer", template=...)` devolve a nova versão;
# `mlflow.genai.set_prompt_alias("faq_answer", alias="production", version=...)` move o
# alias; depois `ask_faq(...)` e `mlflow.get_last_active_trace_id()`.
#
# </details>

# %% tags=["solution"]
prompt_v2 = mlflow.genai.register_prompt(
    name="faq_answer", commit_message="uma frase",
    template="Answer the question in one sentence, using only these FAQ passages:\n{{passages}}\n\n"
             "Question: {{question}}")
mlflow.genai.set_prompt_alias("faq_answer", alias="production", version=prompt_v2.version)
ask_faq("What is a trace?")
exercise_2_trace_id = mlflow.get_last_active_trace_id()

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_2_trace_id, "Exercício 2"):
    from lab_utils.grading import lesson_11
    lesson_11.check_exercise_2(exercise_2_trace_id)

# %% [markdown]
# ### Exercício 3
# Escreva um scorer de código chamado `top_score` que devolva a melhor nota de recuperação de
# uma requisição (o maior `score` nos metadados dos documentos do span RETRIEVER), avalie com
# ele qualquer versão do app sobre `eval_dataset` e coloque o id da execução de avaliação em
# `exercise_3_run_id`.

# %% tags=["exercise"]
exercise_3_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `@scorer` em `def top_score(trace) -> float:` lendo
# `trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs`; depois
# `mlflow.genai.evaluate(data=eval_dataset, predict_fn=ask_faq, scorers=[top_score]).run_id`.
#
# </details>

# %% tags=["solution"]
@scorer
def top_score(trace) -> float:
    retrieved = trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs
    return max(doc["metadata"]["score"] for doc in retrieved)


exercise_3_run_id = mlflow.genai.evaluate(data=eval_dataset, predict_fn=ask_faq, scorers=[top_score]).run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_3_run_id, "Exercício 3"):
    from lab_utils.grading import lesson_11
    lesson_11.check_exercise_3(exercise_3_run_id)

# %% [markdown]
# ## Resumo
#
# - Um **trace** é o rastro de uma requisição a um app de GenAI; seus **spans** são as etapas,
#   aninhadas, cada uma com tipo, entradas, saídas, atributos, duração e status. A UI os
#   mostra no modo GenAI, na aba Traces do experimento.
# - `@mlflow.trace` rastreia uma função, `mlflow.start_span` um bloco; uma exceção fica
#   gravada no span onde aconteceu. `mlflow.search_traces` encontra requisições lentas
#   (`order_by` `execution_time_ms`) e com falha (`trace.status = 'ERROR'`).
# - `mlflow.log_expectation` loga a verdade para uma entrada, `mlflow.log_feedback` um
#   julgamento de uma saída, vindo de uma pessoa, de código ou de um LLM.
# - O registro de prompts versiona prompts e move aliases; um app que carrega
#   `prompts:/nome@alias` segue o alias, e cada trace guarda a versão que usou.
# - `mlflow.set_active_model` liga traces a uma versão do app (um modelo logado).
# - `mlflow.genai.evaluate` roda um app sobre um conjunto de avaliação com scorers e loga uma
#   execução de avaliação; escolha entre versões com ela, por uma regra fixada antes de olhar.
#   Scorers de código e os prontos baseados em regras rodam offline; juízes LLM precisam de um modelo.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [MLflow para GenAI](https://mlflow.org/docs/latest/genai/)
# - [Tracing](https://mlflow.org/docs/latest/genai/tracing/) e
#   [rastreamento manual](https://mlflow.org/docs/latest/genai/tracing/app-instrumentation/manual-tracing/)
# - [Buscando traces](https://mlflow.org/docs/latest/genai/tracing/search-traces/)
# - [Coletando feedback](https://mlflow.org/docs/latest/genai/tracing/collect-user-feedback/)
# - [Registro de prompts](https://mlflow.org/docs/latest/genai/prompt-registry/)
# - [Versionamento de apps de GenAI](https://mlflow.org/docs/latest/genai/version-tracking/)
# - [Avaliação e scorers](https://mlflow.org/docs/latest/genai/eval-monitor/)
#
# ## Verifique o que aprendeu
#
# 1. Qual a diferença entre um trace e um span, e qual span é a raiz dos traces do nosso app?
# 2. A pergunta vazia falhou. Quais spans têm status ERROR, e por que saber o span é mais
#    útil do que saber que a requisição falhou?
# 3. Qual a diferença entre uma expectativa e um feedback num trace?
# 4. Por que o app carrega `prompts:/faq_answer@production` em vez da versão 1, e como saber
#    depois qual versão respondeu a uma requisição?
# 5. Por que escolher entre as duas versões pelo conjunto de avaliação e não pela pergunta
#    que você testou à mão? O que um juiz LLM acrescentaria, e quanto custaria?

# %% [markdown] tags=["solution"]
# 1. Um trace é uma requisição inteira; um span é uma etapa dela (recuperar, montar o prompt,
#    responder). Spans se aninham; o span raiz é `ask_faq`, a própria requisição.
# 2. `retrieve`, onde a exceção foi levantada, e `ask_faq`, por onde ela passou. O span que
#    falhou diz qual etapa corrigir (e suas entradas mostram por quê), enquanto "a requisição
#    falhou" só diz que algo falhou.
# 3. Uma expectativa é a verdade para uma entrada (o que uma resposta certa contém), escrita
#    antes ou sem olhar a saída; um feedback julga uma saída que o app deu (um joinha, o
#    veredicto de um scorer), com valor, origem e justificativa.
# 4. Mover o alias muda o prompt que o app usa sem mudar nem reimplantar o código (e movê-lo
#    de volta desfaz a mudança). Cada trace fica ligado à versão do prompt carregada durante a
#    requisição: a tag `mlflow.linkedPrompts`, mostrada na UI.
# 5. Uma pergunta pode dar qualquer resultado por acaso; um conjunto fixo de perguntas com
#    expectativas, pontuado do mesmo jeito para as duas versões, mede quantas vezes cada uma
#    acerta. Um juiz LLM julga sentido (correção, fundamentação), o que uma regra não faz, ao
#    custo de uma chamada de modelo por linha, e com erros próprios a conferir.

# %% [markdown]
# Anterior: **10 · Projeto final, parte 2: servido, retreinado, promovido**. Esta é a última lição do curso.
