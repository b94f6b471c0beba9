# %% [markdown]
# # 01 · Rastreamento básico
#
# Todo experimento que você executa deixa perguntas para trás: quais parâmetros deram aquela
# pontuação? com quais dados? onde está o arquivo do modelo? O MLflow Tracking responde a elas
# logando cada *execução* (run): seus parâmetros, métricas, tags e artefatos (artifacts),
# em um servidor que você pode consultar depois. Esta lição parte do exemplo básico da página
# do DataFlow Lab, executa-o tal como está escrito e depois o desmonta, uma chamada por vez,
# com dados reais: preços de casas em Windsor, no Canadá.
#
# **Você vai aprender** a criar experimentos (experiments) e execuções; a logar
# parâmetros, métricas (com passos), tags, figuras, dicionários, textos e arquivos; a
# logar os conjuntos de dados (datasets) que uma execução usou; a logar um modelo do
# scikit-learn com assinatura (signature) e exemplo de entrada (input example), e a encontrá-lo como *modelo logado*
# (logged model), com métricas próprias; a comparar o log automático (autologging)
# com o log manual, e a dizer o que o autolog não tem como saber; a ler execuções de volta com
# `MlflowClient` e `mlflow.search_runs`. *Opcional, no fim:* logar muitas métricas sem ficar
# esperando pela rede, logar o uso de CPU e memória de uma execução e guardar os checkpoints
# de um laço de treinamento como modelos logados.
#
# **Tempo:** 40 minutos para o caminho principal (até os exercícios, inclusive); a parte
# final opcional, *Log em escala*, leva mais 10. **Pré-requisitos:** 00 · Boas-vindas ao laboratório de MLflow.
#
# **No mapa** (lição 00): experimentos, execuções e modelos logados, pelo servidor de rastreamento até os dois armazenamentos.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
n_metric_points = 300  # pontos logados na comparação de velocidade de log
epochs = 30  # comprimento da curva de treinamento

# %% [markdown]
# ## Os dados
#
# 546 casas vendidas em 1987, com o preço (em CAD) e 11 *features* — as colunas de que o modelo
# parte para prever o preço (o dicionário de dados, `data/README.pt-BR.md`, traz a fonte e as unidades). `split_house_prices` as divide do mesmo jeito em todas as lições: 75%
# para treinar e 25% de casas de *teste* para medir o modelo.

# %% tags=["nbval-check-output"]
houses = lab_utils.load_house_prices()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices(houses)
print(houses.shape, X_train.shape, X_test.shape)
print(list(houses.columns))

# %% [markdown]
# ## O exemplo da página do DataFlow Lab, tal como está
#
# O exemplo loga um modelo chamado `model`, então primeiro treinamos um: um `ElasticNet`
# (regressão linear com penalidades L1 e L2) com os parâmetros que o exemplo loga.

# %%
from sklearn.linear_model import ElasticNet

model = ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)

# %%
import mlflow

# Iniciar experimento
mlflow.set_experiment("meu_experimento")

# Iniciar execução
with mlflow.start_run():
    # Parâmetros do modelo
    mlflow.log_param("alpha", 0.5)
    mlflow.log_param("l1_ratio", 0.1)

    # Métrica do modelo
    mlflow.log_metric("rmse", 0.876)
    mlflow.log_metric("r2", 0.923)

    # Artefato (como o modelo)
    mlflow.sklearn.log_model(model, "modelo")

# %% [markdown]
# Funciona, e mostra um aviso: no MLflow 3, o caminho do artefato do modelo é o argumento
# nomeado `name=` (o `"modelo"` posicional está obsoleto). Também é lento (meio minuto em uma
# máquina ocupada): `log_model` inicia um segundo processo Python que carrega o modelo para
# descobrir quais pacotes ele importa, e os salva como os requisitos do modelo.
# (Na primeira execução, a linha INFO acima do aviso é aquela que a lição 00 explicou: o
# MLflow cria o experimento `meu_experimento`.) Há mais duas coisas erradas: as métricas são
# digitadas à mão em vez de medidas, e a execução não tem nome. Vamos corrigir as três.
#
# ## Experimentos e execuções
#
# `set_experiment` cria o experimento, se necessário, e o torna o experimento ativo.
# `start_run` abre uma execução; usado como gerenciador de contexto, encerra a execução
# (FINISHED, ou FAILED se houver uma exceção) quando o bloco termina. Um nome e uma descrição
# tornam a execução fácil de encontrar depois.

# %%
import numpy as np
from sklearn.metrics import mean_squared_error, r2_score

experiment = mlflow.set_experiment("meu_experimento")
print("id do experimento:", experiment.experiment_id)

params = {"alpha": 0.5, "l1_ratio": 0.1}
with mlflow.start_run(run_name="elasticnet_measured",
                      description="ElasticNet sobre os preços das casas, métricas medidas nas casas de teste") as run:
    mlflow.log_params(params)
    model = ElasticNet(**params).fit(X_train, y_train)
    predictions = model.predict(X_test)
    rmse = float(np.sqrt(mean_squared_error(y_test, predictions)))
    mlflow.log_metrics({"rmse": rmse, "r2": r2_score(y_test, predictions)})
    mlflow.set_tags({"dataset": "windsor_house_prices", "model_family": "linear"})

print(f"rmse {lab_utils.format_number(rmse)} CAD")
print("na UI:", lab_utils.run_url(lab, run))

# %% [markdown]
# ### Ponto de verificação
# O servidor tem a execução, com seus parâmetros, métricas e tags.

# %%
checked = lab_utils.assert_run_logged(run.info.run_id, params=params, metrics={"rmse": rmse},
                                      tags={"dataset": "windsor_house_prices"})

# %% [markdown]
# ## Métricas ao longo do tempo: passos
#
# Uma métrica logada várias vezes com um `step` (passo) vira uma curva na UI. Aqui, um
# modelo linear é treinado por gradiente descendente estocástico, uma época de cada vez, e
# tanto o erro de treinamento quanto o de validação são logados a cada época: é o erro
# em casas que o modelo nunca viu no treinamento, e não o erro de treinamento, que diz se
# ele generaliza.
#
# Uma curva como esta serve para *decidir* (quando parar de treinar), por isso é traçada sobre
# casas de **validação**, retiradas do conjunto de treinamento por
# `split_train_validation_test`, e não sobre as casas de teste: estas ficam de fora de
# qualquer decisão, para que a pontuação nelas continue sendo uma estimativa honesta. (O
# conjunto de teste dessa função é exatamente o de `split_house_prices`.) A parte opcional da
# lição leva este laço adiante: checkpoints e parada antecipada.

# %%
import matplotlib.pyplot as plt
from sklearn.linear_model import SGDRegressor
from sklearn.preprocessing import StandardScaler

split = lab_utils.split_train_validation_test(houses)  # treinamento / validação / teste
scaler = StandardScaler().fit(split.X_train)
X_fit_scaled, X_val_scaled = scaler.transform(split.X_train), scaler.transform(split.X_validation)
sgd = SGDRegressor(learning_rate="constant", eta0=0.001, random_state=lab_utils.SEED)

with mlflow.start_run(run_name="sgd_training_curve") as curve_run:
    mlflow.log_params({"eta0": 0.001, "epochs": epochs, "scaler": "standard"})
    history = []
    for epoch in range(epochs):
        sgd.partial_fit(X_fit_scaled, split.y_train)
        train_rmse = float(np.sqrt(mean_squared_error(split.y_train, sgd.predict(X_fit_scaled))))
        val_rmse = float(np.sqrt(mean_squared_error(split.y_validation, sgd.predict(X_val_scaled))))
        mlflow.log_metrics({"train_rmse": train_rmse, "val_rmse": val_rmse}, step=epoch)
        history.append((train_rmse, val_rmse))

    figure, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([h[0] for h in history], label="treinamento")
    ax.plot([h[1] for h in history], label="validação")
    ax.set(xlabel="época", ylabel="RMSE (CAD)", title="Curva de treinamento do SGD")
    ax.legend()
    mlflow.log_figure(figure, "training_curve.png")
plt.show()

# %% [markdown]
# O servidor guarda todos os pontos, não só o último:

# %% tags=["nbval-check-output"]
from mlflow import MlflowClient

client = MlflowClient()
points = client.get_metric_history(curve_run.info.run_id, "val_rmse")
print(len(points), "pontos, passos de", points[0].step, "a", points[-1].step)

# %% [markdown]
# ## Artefatos: figuras, dicionários, textos, arquivos
#
# Tudo o que vale a pena guardar ao lado dos números é um artefato: um gráfico de resíduos, a
# lista de features, uma anotação, um arquivo de dados. O servidor os armazena no bucket
# `mlflow`.

# %%
import json
import tempfile
from pathlib import Path

with mlflow.start_run(run_id=run.info.run_id):  # reabre a execução medida para acrescentar a ela
    residuals = y_test - predictions
    figure, ax = plt.subplots(figsize=(6, 3.5))
    ax.scatter(predictions, residuals, s=10, alpha=0.6)
    ax.axhline(0, color="grey", lw=1)
    ax.set(xlabel="preço previsto (CAD)", ylabel="resíduo (CAD)", title="Resíduos")
    mlflow.log_figure(figure, "plots/residuals.png")
    plt.close(figure)

    mlflow.log_dict({"features": list(X_train.columns), "target": "price"}, "schema/features.json")
    mlflow.log_text("Preços em CAD, 1987. Divisão: 75/25, semente 42.\n", "notes/README.txt")

    with tempfile.TemporaryDirectory() as tmp:
        coefficients = Path(tmp) / "coefficients.json"
        coefficients.write_text(json.dumps(dict(zip(X_train.columns, model.coef_.round(2).tolist())), indent=2))
        mlflow.log_artifact(str(coefficients), artifact_path="model_details")

# %% [markdown]
# ### Ponto de verificação
# O servidor lista os quatro artefatos, e o gráfico é um objeto no bucket.

# %%
checked = lab_utils.assert_run_logged(run.info.run_id, artifacts=[
    "plots/residuals.png", "schema/features.json", "notes/README.txt", "model_details/coefficients.json"])
keys = lab_utils.assert_in_bucket(lab, checked, "plots/residuals.png")

# %% [markdown]
# ## Conjuntos de dados: com o que uma execução treinou e foi avaliada
#
# Os parâmetros de uma execução dizem *como* um modelo foi treinado, não *com o quê*.
# `mlflow.data.from_pandas` descreve um DataFrame como um conjunto de dados: um
# nome, um **digest** (uma impressão digital do conteúdo: mude um único preço e ele muda),
# seu esquema e um perfil (o número de linhas). `mlflow.log_input` o loga na execução,
# com um *contexto* que diz para que ele foi usado. As linhas em si não são enviadas: a
# execução guarda a descrição.
#
# Ao inferir o esquema, o MLflow avisa que há colunas inteiras (nossas features são
# contagens, armazenadas como inteiros): uma coluna inteira não pode conter valor ausente,
# então um modelo cuja assinatura diz "inteiro" recusa uma linha que tenha um. Os dados das
# casas não têm nenhum; a lição 05 mostra o que isso significa na hora da previsão.
# (`lab_utils.connect()` faz os avisos aparecerem sem o caminho do arquivo da biblioteca que
# os emitiu.)

# %%
train_data = mlflow.data.from_pandas(X_train.assign(price=y_train), targets="price", name="windsor_train")
test_data = mlflow.data.from_pandas(X_test.assign(price=y_test), targets="price", name="windsor_test")

with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_input(train_data, context="training")
    mlflow.log_input(test_data, context="testing")

# %% [markdown]
# ### Ponto de verificação
# O servidor lista os dois conjuntos de dados entre as entradas da execução, com seus
# contextos. Os digests são os mesmos em qualquer máquina que carregue as mesmas casas:
# compará-los é a forma de saber se duas execuções usaram os mesmos dados. (A tabela de
# execuções da UI os mostra na coluna **Dataset**.)

# %% tags=["nbval-check-output"]
inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
for item in sorted(inputs, key=lambda i: i.dataset.name):
    context = {tag.key: tag.value for tag in item.tags}["mlflow.data.context"]
    print(f"{item.dataset.name:<14} {context:<9} digest {item.dataset.digest}  {item.dataset.profile}")
assert {i.dataset.name for i in inputs} == {"windsor_train", "windsor_test"}, "falta um conjunto de dados"

# %% [markdown]
# ## Logando um modelo do jeito certo
#
# O artefato de um modelo é mais útil com uma **assinatura** e um **exemplo de entrada**
# (algumas linhas reais, guardadas ao lado do modelo).
# `infer_signature` extrai os dois de dados reais.
#
# > **Assinatura** — os nomes e tipos das colunas que um modelo recebe e devolve. O MLflow
# > confere cada requisição com ela antes que o modelo a veja.
#
# No MLflow 3, `log_model(name=...)` cria um **modelo logado**: uma entidade
# própria, com um id (`m-…`), sua própria URI `models:/m-…` e um vínculo com a execução que o
# logou (a URI relativa à execução, `runs:/<run id>/<name>`, continua funcionando). É
# possível vincular métricas a ele: `log_model` vincula as métricas que a execução já tem, e
# `log_metrics(..., model_id=..., dataset=...)` diz "este modelo obteve esta pontuação, com
# aqueles dados".

# %%
import warnings

from mlflow.models import infer_signature

with warnings.catch_warnings():  # de novo o aviso das colunas inteiras, explicado acima
    warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
    signature = infer_signature(X_train, model.predict(X_train))
    with mlflow.start_run(run_id=run.info.run_id):
        model_info = mlflow.sklearn.log_model(
            model, name="model", signature=signature, input_example=X_train.head(3)
        )
        # As mesmas pontuações de teste de antes, agora vinculadas ao modelo e ao conjunto de teste.
        mlflow.log_metrics({"rmse": rmse, "r2": r2_score(y_test, predictions)},
                           model_id=model_info.model_id, dataset=test_data)

print("modelo logado:", model_info.model_uri)
print("relativa à execução:", f"runs:/{run.info.run_id}/model")
print(signature)

# %% [markdown]
# `log_model` demorou de novo, descobrindo os requisitos do modelo (a lição 05 mostra como
# informá-los você mesmo). Vincular uma métrica a um modelo a loga de novo na execução:
# o histórico de `rmse` da execução agora tem o mesmo valor mais de uma vez no passo 0.
#
# Os arquivos do modelo não ficam entre os artefatos da execução: o MLflow 3 guarda um modelo
# logado em `<experiment id>/models/<model id>/artifacts/` no bucket e o vincula à
# execução.

# %%
model_files = lab_utils.assert_model_in_bucket(lab, model_info.model_id)
for key in model_files:
    print(key)

# %% tags=["nbval-check-output"]
reloaded_by_id = mlflow.pyfunc.load_model(model_info.model_uri)
reloaded_by_run = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
same = np.allclose(reloaded_by_id.predict(X_test.head()), reloaded_by_run.predict(X_test.head()))
print("as duas URIs carregam o mesmo modelo:", same)
print("entradas:", reloaded_by_id.metadata.get_input_schema().input_names())

# %% [markdown]
# ### Ponto de verificação: o modelo logado e suas métricas
#
# `mlflow.search_logged_models` busca modelos do mesmo jeito que `search_runs` busca
# execuções, com filtros sobre as métricas deles, e `datasets=` para considerar só as métricas
# medidas em um dado conjunto de dados. Informe o nome *e* o digest do conjunto: através de um
# servidor de rastreamento, o MLflow 3.17 não encontra nada quando recebe um nome sem o digest.
# Na UI, abra o experimento e escolha **Models** (abaixo de **Runs**, no menu à esquerda): a
# mesma lista, cada modelo logado com sua execução de origem e suas métricas
# vinculadas.

# %% tags=["nbval-check-output"]
found = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id], filter_string="metrics.rmse < 20000",
    datasets=[{"dataset_name": test_data.name, "dataset_digest": test_data.digest}], output_format="list")
logged_model = next((m for m in found if m.model_id == model_info.model_id), None)
assert logged_model is not None, "o modelo logado não foi encontrado com seu rmse em windsor_test"
assert logged_model.source_run_id == run.info.run_id, "o modelo logado não está vinculado à sua execução"
print("modelo logado:", logged_model.name, "· logado pela execução elasticnet_measured")
for metric in sorted(logged_model.metrics, key=lambda m: m.key):
    if metric.dataset_name == test_data.name:
        print(f"  {metric.key:<5} {lab_utils.format_number(metric.value, 2):>10}  em {metric.dataset_name}")

# %% [markdown]
# ## Log automático (autolog) versus log manual
#
# `mlflow.sklearn.autolog()` modifica o scikit-learn para que `fit` logue os parâmetros
# (todos, inclusive os padrões), as métricas de *treinamento* (`training_*`, calculadas nos
# dados passados a `fit`), o conjunto de dados de treinamento (contexto `train`) e o modelo.
# Enquanto está ligado, ele também captura métricas calculadas *depois* do `fit` sobre as
# previsões desse modelo: `model.score(...)`, ou uma função de `sklearn.metrics` chamada
# através do módulo. Ele as nomeia `<metric>_<variable>`, a partir da variável que você
# passou a `predict`, loga também esse conjunto de dados (contexto `eval`) e vincula essas
# métricas ao modelo que logou.
#
# Dois detalhes da documentação: uma função de métrica importada pelo nome *antes* de
# `autolog()` (como `mean_squared_error` no início desta lição) não é modificada, daí o
# `sklearn.metrics.mean_squared_error` abaixo; e uma métrica calculada sobre uma cópia ou um
# recorte das previsões não é percebida.

# %%
import sklearn.metrics

mlflow.sklearn.autolog(log_input_examples=True, silent=True)
with mlflow.start_run(run_name="elasticnet_autolog") as auto_run:
    auto_model = ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)
    auto_predictions = auto_model.predict(X_test)                 # X_test é logado como dados "eval"
    sklearn.metrics.mean_squared_error(y_test, auto_predictions)  # -> mean_squared_error_X_test
    auto_model.score(X_test, y_test)                              # -> ElasticNet_score_X_test (R²)
mlflow.sklearn.autolog(disable=True)

auto = client.get_run(auto_run.info.run_id)
manual = client.get_run(run.info.run_id)
print(f"autolog: {len(auto.data.params)} parâmetros, métricas {sorted(auto.data.metrics)}")
print("         conjuntos de dados:", sorted({t.value for d in auto.inputs.dataset_inputs for t in d.tags
                                              if t.key == "mlflow.data.context"}))
print(f"manual:  {len(manual.data.params)} parâmetros, métricas {sorted(manual.data.metrics)}")

# %% [markdown]
# ### Ponto de verificação
# As métricas pós-treinamento estão no servidor, vinculadas ao modelo que o autolog logou.

# %% tags=["nbval-check-output"]
assert {"mean_squared_error_X_test", "ElasticNet_score_X_test"} <= set(auto.data.metrics), \
    f"nenhuma métrica pós-treinamento entre {sorted(auto.data.metrics)}"
auto_model_id = auto.outputs.model_outputs[0].model_id
linked = {m.key for m in mlflow.get_logged_model(auto_model_id).metrics}
print("vinculadas ao modelo do autolog:", sorted(linked & {"mean_squared_error_X_test", "ElasticNet_score_X_test"}))

# %% [markdown]
# O que o autolog **não tem como saber**:
#
# - *Quais dados foram reservados.* Ele só fica sabendo de um conjunto de dados quando você
#   chama `predict` ou `score` no modelo dele enquanto está ligado; nomeia a métrica a partir
#   da sua variável (`X_test`) e marca todo conjunto desses como `eval`, seja de casas de
#   validação, seja de casas de teste.
# - *Métricas cujo cálculo ele não viu*: o RMSE que tiramos com `np.sqrt` de um MSE, funções
#   importadas antes de `autolog()`, métricas sobre cópias ou recortes, métricas de outras
#   bibliotecas.
# - *O significado*: qual métrica decide, e por que uma divisão dos dados existe.
#
# Então use os dois: o autolog para ter tudo, e chamadas explícitas, com bons nomes, para o
# que só você sabe (`rmse` nas casas de teste, `val_rmse` nas casas de validação).
#
# ## Lendo execuções de volta
#
# `mlflow.search_runs` devolve as execuções como um DataFrame do pandas, com uma linguagem de
# filtro sobre parâmetros, métricas, tags e atributos.

# %%
runs = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string="tags.dataset = 'windsor_house_prices' and metrics.rmse > 0",
    order_by=["metrics.rmse ASC"],
)
runs[["run_id", "tags.mlflow.runName", "params.alpha", "metrics.rmse", "metrics.r2"]].head()

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Treine `ElasticNet(alpha=1.0, l1_ratio=0.5)` em `X_train` e crie uma execução chamada
# `exercise_1` em `meu_experimento`, com os dois parâmetros e o `rmse` do modelo nas casas de
# teste (`X_test`, `y_test`). Coloque o id da execução em `exercise_1_run_id`.

# %% tags=["exercise"]
exercise_1_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# Dentro de `mlflow.start_run(run_name="exercise_1")`: `mlflow.log_params(...)`, treine o
# modelo e depois `mlflow.log_metric("rmse", ...)` com `np.sqrt(mean_squared_error(y_test, ...))`.
#
# </details>

# %% tags=["solution"]
with mlflow.start_run(run_name="exercise_1") as ex1:
    mlflow.log_params({"alpha": 1.0, "l1_ratio": 0.5})
    ex1_model = ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X_train, y_train)
    mlflow.log_metric("rmse", float(np.sqrt(mean_squared_error(y_test, ex1_model.predict(X_test)))))
exercise_1_run_id = ex1.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_1_run_id, "Exercício 1"):
    from lab_utils.grading import lesson_01
    lesson_01.check_exercise_1(exercise_1_run_id, X_train, y_train, X_test, y_test)

# %% [markdown]
# ### Exercício 2
# Para *escolher* um modelo, compare os candidatos nas casas de validação; as casas de teste
# ficam fora de toda escolha. A célula abaixo loga três candidatos em `meu_experimento`:
# `ElasticNet` com `alpha` em `[0.01, 0.2, 2.0]` (`l1_ratio=0.5`), treinados em `split.X_train`,
# cada um com a tag `exercise = choose_on_validation`, com o seu RMSE nas casas de validação
# (`val_rmse`) e, como um relatório o mostraria, nas casas de teste (`test_rmse`). Com
# `mlflow.search_runs`, encontre o candidato a manter: a execução com a tag
# `exercise = choose_on_validation` com o **menor** `val_rmse`. Coloque o id dela em
# `best_run_id`. (Cada passagem pela lição loga os candidatos de novo; uma execução que
# empata no menor valor é uma resposta tão boa quanto outra. Cada candidato leva `test_rmse`
# aqui só para que uma escolha feita por ele apareça; um projeto loga a nota de teste uma vez,
# para o modelo que mantém, como explica a lição 08.)

# %%
# Os candidatos a escolher: treinados nas casas de treino, avaliados nos outros dois conjuntos.
for alpha in [0.01, 0.2, 2.0]:
    candidate = ElasticNet(alpha=alpha, l1_ratio=0.5).fit(split.X_train, split.y_train)
    with mlflow.start_run(run_name=f"choice_alpha_{alpha}"):
        mlflow.log_params({"alpha": alpha, "l1_ratio": 0.5})
        mlflow.log_metrics({
            "val_rmse": float(np.sqrt(mean_squared_error(split.y_validation, candidate.predict(split.X_validation)))),
            "test_rmse": float(np.sqrt(mean_squared_error(split.y_test, candidate.predict(split.X_test)))),
        })
        mlflow.set_tag("exercise", "choose_on_validation")

# %% tags=["exercise"]
best_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `mlflow.search_runs(experiment_names=["meu_experimento"],
# filter_string="tags.exercise = 'choose_on_validation'", order_by=["metrics.val_rmse ASC"],
# max_results=1)` devolve um DataFrame com uma coluna `run_id`.
#
# </details>

# %% tags=["solution"]
best_run_id = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string="tags.exercise = 'choose_on_validation'",
    order_by=["metrics.val_rmse ASC"], max_results=1,
).loc[0, "run_id"]

# %% tags=["check-exercise"]
if lab_utils.attempted(best_run_id, "Exercício 2"):
    from lab_utils.grading import lesson_01
    lesson_01.check_exercise_2(best_run_id, split)

# %% [markdown]
# ### Exercício 3
# Crie uma execução chamada `exercise_3` com uma figura `plots/price_histogram.png` que
# mostre o histograma de `houses["price"]` (uma figura do matplotlib, e não um arquivo
# qualquer que você chame de `.png`). Coloque o id da execução em `exercise_3_run_id` e a
# figura em `figure`: a verificação lê da figura o que o gráfico mostra e a compara com a
# imagem no servidor.

# %% tags=["exercise"]
figure = ...  # seu código aqui
exercise_3_run_id = ...

# %% [markdown]
# <details><summary>Dica</summary>
#
# Desenhe com `figure, ax = plt.subplots()` e `ax.hist(...)` e depois logue com
# `mlflow.log_figure(figure, "plots/price_histogram.png")` dentro da execução.
#
# </details>

# %% tags=["solution"]
with mlflow.start_run(run_name="exercise_3") as ex3:
    figure, ax = plt.subplots()
    ax.hist(houses["price"], bins=30)
    ax.set(xlabel="preço (CAD)", ylabel="casas")
    mlflow.log_figure(figure, "plots/price_histogram.png")
    plt.close(figure)
exercise_3_run_id = ex3.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_3_run_id, "Exercício 3"):
    from lab_utils.grading import lesson_01
    lesson_01.check_exercise_3(exercise_3_run_id, figure)

# %% [markdown]
# ## Parte opcional · Log em escala
#
# O caminho principal da lição termina nos exercícios acima. O que vem a seguir é opcional
# (uns 10 minutos), e nenhuma lição seguinte depende disso: o que muda quando uma execução
# loga muito — muitos pontos (lotes e log assíncrono), a carga da máquina (métricas de
# sistema) e um laço de treinamento que guarda checkpoints e para cedo.
#
# ## Logando com eficiência (opcional)
#
# Cada chamada a `log_metric` é uma requisição HTTP. Logar mil pontos um a um custa mil
# idas e voltas pela rede; `MlflowClient.log_batch` envia até 1.000 métricas em uma única
# requisição, e o log assíncrono (`synchronous=False`) retorna na hora, enquanto uma
# thread em segundo plano envia os pontos. Com `MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS`
# definida, essa thread também agrupa em lotes os pontos enfileirados. Vamos medir neste
# laboratório.

# %%
import os
import time

from mlflow.entities import Metric

os.environ["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = "1"  # a thread de log a relê antes de cada lote
if lab.workshop and n_metric_points > 30:
    # Os alunos de uma sala dividem um servidor: cada um manda um décimo dos pontos.
    room_points, n_metric_points = n_metric_points, 30
    print(f"Num workshop: {n_metric_points} pontos cada, não {room_points}: a sala divide um servidor, e a comparação mostra o mesmo")
values = np.random.default_rng(0).random(n_metric_points)
with mlflow.start_run(run_name="logging_speed") as speed_run:
    run_id = speed_run.info.run_id

    start = time.perf_counter()
    for step, value in enumerate(values):
        mlflow.log_metric("one_by_one", value, step=step)
    one_by_one = time.perf_counter() - start

    start = time.perf_counter()
    now = int(time.time() * 1000)
    batch = [Metric("batched", float(v), now, step) for step, v in enumerate(values)]
    for chunk in range(0, len(batch), 1000):  # a API REST aceita até 1.000 métricas por chamada
        client.log_batch(run_id, metrics=batch[chunk:chunk + 1000])
    batched = time.perf_counter() - start

    start = time.perf_counter()
    for step, value in enumerate(values):
        mlflow.log_metric("async", value, step=step, synchronous=False)
    async_returned = time.perf_counter() - start
    mlflow.flush_async_logging()  # espera até o servidor ter todos os pontos
    async_stored = time.perf_counter() - start

print(f"{n_metric_points} pontos: uma chamada por ponto {lab_utils.format_number(one_by_one, 2)} s · log_batch {lab_utils.format_number(batched, 2)} s · "
      f"async {lab_utils.format_number(async_returned, 2)} s para retornar, {lab_utils.format_number(async_stored, 2)} s até gravar")
print(f"log_batch é {one_by_one / batched:.0f}x mais rápido que uma chamada por ponto, "
      f"async com buffer {one_by_one / async_stored:.0f}x")

# %% [markdown]
# ### Ponto de verificação
# As três formas gravaram todos os pontos.

# %%
for key in ("one_by_one", "batched", "async"):
    stored = len(client.get_metric_history(run_id, key))
    assert stored == n_metric_points, f"{key}: {stored} de {n_metric_points} pontos no servidor"
print(f"✓ {n_metric_points} pontos gravados em cada uma das três formas")

# %% [markdown]
# ## Métricas de sistema: quanto a execução custou à máquina (opcional)
#
# `mlflow.start_run(log_system_metrics=True)` inicia um monitor em segundo plano que mede o uso
# de CPU, memória, disco e rede da máquina (e de GPUs, se houver) e o loga como métricas
# chamadas `system/…`. Por padrão, ele coleta uma amostra a cada 10 segundos; nesta
# demonstração curta, coletamos a cada segundo. O MLflow avisa no stderr quando o monitor
# começa e termina, e que esta máquina não tem GPU para medir. A execução abaixo treina o
# mesmo modelo repetidamente durante três segundos.

# %%
mlflow.set_system_metrics_sampling_interval(1)  # segundos entre amostras (padrão: 10)
mlflow.set_system_metrics_samples_before_logging(1)  # loga cada amostra assim que é coletada
with mlflow.start_run(run_name="system_metrics_demo", log_system_metrics=True) as system_run:
    start = time.perf_counter()
    fits = 0
    while time.perf_counter() - start < 3:
        ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)
        fits += 1
    mlflow.log_metric("fits", fits)

# %% [markdown]
# ### Ponto de verificação
# O servidor tem uma curva `system/…`, com um ponto por amostra. Na UI, a aba
# **System metrics** da execução as desenha.

# %%
system = sorted(k for k in client.get_run(system_run.info.run_id).data.metrics if k.startswith("system/"))
cpu = client.get_metric_history(system_run.info.run_id, "system/cpu_utilization_percentage")
assert cpu, f"nenhuma amostra de CPU no servidor; métricas de sistema logadas: {system}"
print(f"{len(system)} métricas de sistema, por exemplo {system[:3]}")
print(f"uso de CPU: {len(cpu)} amostras, última {cpu[-1].value:.0f}%")

# %% [markdown]
# ## Os checkpoints de um laço de treinamento (opcional)
#
# A curva do SGD de "Métricas ao longo do tempo" treinou por um número fixo de épocas, e o
# erro de validação parou de melhorar bem antes do fim. Um laço de treinamento de verdade
# guarda **checkpoints** (o modelo como estava a cada tantas épocas), para quando a validação
# não melhora há algum tempo (**parada antecipada**, ou *early stopping*, depois de uma
# *paciência*) e fica com o melhor checkpoint, não com o último. O MLflow 3 tem uma peça
# para cada coisa:
#
# - `mlflow.sklearn.log_model(..., name="checkpoint", step=epoch)` loga um checkpoint como
#   um modelo logado próprio (`m-…`), uma saída da execução naquele passo;
# - `mlflow.log_metric("val_rmse", ..., step=epoch, model_id=..., dataset=...)` vincula a
#   pontuação de validação a esse checkpoint, medida no conjunto de validação;
# - `mlflow.search_logged_models(..., order_by=[{"field_name": "metrics.val_rmse", ...}])`
#   encontra o melhor checkpoint da execução, e a URI `models:/m-…` dele o carrega.
#
# Um checkpoint aqui é o scaler e uma cópia do modelo naquela época (um `Pipeline`), então
# ele recebe as próprias colunas das casas. Os requisitos dele são informados
# (`pip_requirements`) para que o `log_model` não gaste segundos procurando-os a cada
# checkpoint. O `log_model(step=...)` também vincula ao novo modelo as métricas que a execução
# já tem naquele passo: logar `val_rmse` *depois* do checkpoint vincula a métrica uma vez só,
# com o seu conjunto de dados.

# %%
import copy

import sklearn
from sklearn.pipeline import make_pipeline

max_epochs, checkpoint_every, patience = 100, 5, 2  # paciência: checkpoints sem melhora
with warnings.catch_warnings():  # de novo o aviso das colunas inteiras, explicado acima
    warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
    validation_data = mlflow.data.from_pandas(split.X_validation.assign(price=split.y_validation),
                                              targets="price", name="windsor_validation")
    validation_data.schema  # infere agora o esquema (preguiçoso), com o aviso silenciado
requirements = [f"scikit-learn=={sklearn.__version__}"]
sgd = SGDRegressor(learning_rate="constant", eta0=0.001, random_state=lab_utils.SEED)

with mlflow.start_run(run_name="sgd_checkpoints") as checkpoint_run:
    mlflow.log_params({"eta0": 0.001, "max_epochs": max_epochs, "checkpoint_every": checkpoint_every,
                       "patience": patience})
    best_rmse, waited, saved = float("inf"), 0, []  # saved: (época, val_rmse) de cada checkpoint
    for epoch in range(max_epochs):
        sgd.partial_fit(X_fit_scaled, split.y_train)
        val_rmse = float(np.sqrt(mean_squared_error(split.y_validation, sgd.predict(X_val_scaled))))
        checkpoint_id = None
        if (epoch + 1) % checkpoint_every == 0:
            checkpoint = mlflow.sklearn.log_model(make_pipeline(scaler, copy.deepcopy(sgd)), name="checkpoint",
                                                  step=epoch, signature=signature, pip_requirements=requirements)
            checkpoint_id = checkpoint.model_id
            saved.append((epoch, val_rmse))
        # Na execução a cada época, e vinculada ao checkpoint quando um acabou de ser salvo.
        mlflow.log_metric("val_rmse", val_rmse, step=epoch, model_id=checkpoint_id, dataset=validation_data)
        if checkpoint_id is None:
            continue
        if val_rmse < best_rmse:
            best_rmse, waited = val_rmse, 0
        else:
            waited += 1
            if waited == patience:  # nenhum checkpoint melhor em `patience` checkpoints seguidos
                break
    mlflow.log_metric("stopped_epoch", epoch)

print(f"parou na época {epoch} de {max_epochs}; checkpoints nas épocas {[e for e, _ in saved]}")

# %% [markdown]
# O último checkpoint não é o melhor: escolha no servidor, pela métrica vinculada a cada
# checkpoint. O `order_by` nomeia o conjunto de dados (nome *e* digest, como no `datasets=`
# acima) para que só contem as pontuações nas casas de validação.

# %%
[best_checkpoint] = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id],
    filter_string=f"source_run_id = '{checkpoint_run.info.run_id}'",
    order_by=[{"field_name": "metrics.val_rmse", "ascending": True,
               "dataset_name": validation_data.name, "dataset_digest": validation_data.digest}],
    max_results=1, output_format="list")
best_score = next(m for m in best_checkpoint.metrics if m.key == "val_rmse")
restored = mlflow.sklearn.load_model(best_checkpoint.model_uri)
restored_rmse = float(np.sqrt(mean_squared_error(split.y_validation, restored.predict(split.X_validation))))
print(f"melhor checkpoint: época {best_score.step}, val_rmse {lab_utils.format_number(best_score.value)} CAD em {best_score.dataset_name}")
print(f"carregado de {best_checkpoint.model_uri[:12]}…, ele pontua {lab_utils.format_number(restored_rmse)} CAD de novo")

# %% [markdown]
# ### Ponto de verificação
# O servidor tem um modelo logado por checkpoint, cada um uma saída da execução na sua época,
# e o escolhido é a época com o menor erro de validação; o treinamento parou antes de
# `max_epochs`.

# %%
on_server = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], output_format="list",
                                        filter_string=f"source_run_id = '{checkpoint_run.info.run_id}'")
steps = sorted(o.step for o in client.get_run(checkpoint_run.info.run_id).outputs.model_outputs)
assert len(on_server) == len(saved), f"{len(on_server)} checkpoints no servidor, {len(saved)} salvos"
assert steps == [e for e, _ in saved], f"as saídas de modelo da execução estão nos passos {steps}"
best_epoch, best_value = min(saved, key=lambda s: s[1])
assert best_score.step == best_epoch and np.isclose(best_score.value, best_value), \
    f"o checkpoint escolhido é a época {best_score.step}, o melhor é a época {best_epoch}"
assert np.isclose(restored_rmse, best_value), "o checkpoint carregado não pontua o que foi logado"
assert epoch < max_epochs - 1, "o treinamento não parou antes"
print(f"✓ {len(on_server)} checkpoints, o melhor na época {best_epoch} ({lab_utils.format_number(best_value)} CAD), "
      f"parou na época {epoch}")

# %% [markdown]
# **As mesmas peças no PyTorch e no Keras.** O `mlflow.pytorch.autolog()` (PyTorch Lightning)
# loga as métricas de cada época vinculadas a um modelo logado, o final. Os checkpoints dele
# (`checkpoint=True` por padrão, com `checkpoint_monitor="val_loss"`, `checkpoint_mode="min"`,
# `checkpoint_save_best_only=True`, `checkpoint_save_freq="epoch"`) são *arquivos da
# execução*, e não modelos logados: por padrão, um único `checkpoints/latest_checkpoint.pth`
# (com `latest_checkpoint_metrics.json`), sobrescrito sempre que a métrica monitorada melhora,
# que o `mlflow.pytorch.load_checkpoint(ModelClass, run_id)` carrega. Com
# `checkpoint_save_best_only=False`, cada época guarda o seu `checkpoints/epoch_<n>/`, e o
# `load_checkpoint(ModelClass, run_id, epoch=n)` carrega esse. Com
# o callback `EarlyStopping` do Lightning, o autolog loga `monitor`, `patience` e `min_delta`
# como parâmetros e `stopped_epoch` como métrica. O `mlflow.tensorflow.autolog()` (tf.keras)
# tem os mesmos parâmetros `checkpoint_*` e o `mlflow.tensorflow.load_checkpoint`; o
# `mlflow.keras.autolog()` (Keras 3) não tem nenhum, então ali um laço como o de cima, ou um
# callback do Keras que chame `log_model(..., step=epoch)`, os guarda. Laços reais também
# exigem uma melhora mínima (`min_delta`) antes de zerar a paciência.

# %% [markdown]
# ## Resumo
#
# - Uma execução guarda parâmetros, métricas (com passos), tags e artefatos; dê a ela um
#   nome e uma descrição.
# - Logue métricas em dados reservados, não só as de treinamento: casas de validação para o
#   que você decide, casas de teste para a pontuação final.
# - `mlflow.data.from_pandas` + `mlflow.log_input` logam quais dados uma execução usou
#   (nome, digest, contexto).
# - `log_model(name=...)` cria um modelo logado (`models:/m-…`) com assinatura e
#   exemplo de entrada; `log_metrics(..., model_id=..., dataset=...)` vincula métricas a ele,
#   e `mlflow.search_logged_models` (ou a página **Models** do experimento) o encontra.
# - O autolog loga parâmetros, métricas de treinamento, conjuntos de dados e as
#   `sklearn.metrics` calculadas sobre o modelo dele enquanto está ligado; ele não sabe quais
#   dados foram reservados, então dê você mesmo nome às métricas com que decide.
# - Leia de volta com `MlflowClient` e `mlflow.search_runs`; os pontos de verificação confiam
#   no servidor.
# - *Parte opcional:* o log em lote ou assíncrono evita uma ida e volta pela rede por ponto;
#   `log_system_metrics=True` loga o uso de CPU, memória, disco e rede como métricas
#   `system/…`; `log_model(..., step=epoch)` guarda os checkpoints de um laço de treinamento
#   como modelos logados, `log_metric(..., model_id=...)` dá a pontuação de cada um, e
#   `search_logged_models` escolhe o melhor depois de uma parada antecipada.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Rastreamento de conjuntos de dados](https://mlflow.org/docs/latest/ml/dataset)
# - [Busca de modelos logados](https://mlflow.org/docs/latest/ml/search/search-models)
# - [`mlflow.sklearn.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.sklearn.html#mlflow.sklearn.autolog):
#   métricas pós-treinamento e seus limites
# - [`mlflow.system_metrics`](https://mlflow.org/docs/latest/python_api/mlflow.system_metrics.html)
# - [`mlflow.pytorch.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.pytorch.html#mlflow.pytorch.autolog):
#   os parâmetros `checkpoint_*` e o `load_checkpoint`
#
# ## Verifique o que aprendeu
#
# 1. O exemplo da página do DataFlow Lab loga `rmse = 0.876`. O que há de errado com esse
#    número, e o que a execução medida fez no lugar dele?
# 2. Por que a curva de treinamento do SGD é traçada sobre casas de validação e não sobre as
#    casas de teste?
# 3. O autolog logou `mean_squared_error_X_test`. O que ele sabe sobre `X_test`, e o que
#    ele não sabe?
# 4. Duas execuções usaram um conjunto de dados chamado `windsor_train`. Como você descobre se
#    ele tinha as mesmas linhas nas duas?
# 5. Onde ficam os arquivos de um modelo logado, e como você encontra o modelo com a
#    melhor pontuação em `windsor_test` sem saber qual é a execução dele?
# 6. (Parte opcional.) O treinamento parou numa época posterior à do checkpoint que ficou.
#    Por que ficar com o melhor checkpoint e não com o último, e por que a pontuação dele
#    precisa ser de validação?

# %% [markdown] tags=["solution"]
# 1. Ele foi digitado à mão, não medido (e um RMSE de 0,876 CAD em preços de casas é
#    impossível). A execução medida calculou o RMSE e o R² a partir das previsões do modelo
#    nas casas de teste.
# 2. Lemos a curva para decidir quando parar de treinar. Uma pontuação usada para decidir é
#    otimista; as casas de teste precisam ficar de fora de todas as decisões para dar uma
#    pontuação final honesta.
# 3. Ele sabe que chamamos `predict`/`score` no modelo dele com uma variável chamada `X_test`,
#    e loga esse conjunto de dados como `eval`. Ele não sabe se essas linhas são dados de
#    validação ou de teste, nem qual métrica importa para a decisão.
# 4. Compare os digests dos conjuntos de dados (`run.inputs.dataset_inputs[...].dataset.digest`):
#    o digest é uma impressão digital do conteúdo; o nome é só um rótulo.
# 5. No bucket, em `<experiment id>/models/<model id>/artifacts/`, vinculados à execução.
#    `mlflow.search_logged_models(..., filter_string="metrics.rmse > 0", datasets=[{"dataset_name":
#    "windsor_test", "dataset_digest": ...}], order_by=[{"field_name": "metrics.rmse",
#    "ascending": True}])`, ou a página **Models** do experimento na UI.
# 6. A parada antecipada espera `patience` checkpoints sem melhora antes de parar, então os
#    últimos checkpoints, por definição, não são melhores que o melhor. A escolha entre
#    checkpoints é uma decisão: feita nas casas de teste, ela as gastaria, e a pontuação delas
#    deixaria de ser uma estimativa honesta.

# %% [markdown]
# Próxima: **02 · Busca de hiperparâmetros e comparação de execuções**, o exemplo de GridSearchCV da página do DataFlow Lab e as execuções aninhadas.
